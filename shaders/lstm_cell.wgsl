// LSTM cell, elementwise part of one time step (the recurrent product
// h_{t−1} W_hhᵀ has already been added into the gate pre-activations).
// One invocation per (b, j), j < H. Gates stacked i, f, g, o (PyTorch order):
//
// Forward:   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//            c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
//            the activations overwrite the pre-activations (kept for backward).
//
// Backward, with dh = dL/dh_t (from above and from step t+1) and dc' = dL/dc_t
// carried from step t+1:
//            dc   = dc' + dh ⊙ o ⊙ (1 − tanh²(c_t))
//            da_i = dc ⊙ g ⊙ i(1 − i)        da_f = dc ⊙ c_{t−1} ⊙ f(1 − f)
//            da_g = dc ⊙ i ⊙ (1 − g²)         da_o = dh ⊙ tanh(c_t) ⊙ o(1 − o)
//            dL/dc_{t−1} = dc ⊙ f
//
// Buffers: `saved` holds the gates [T, B, 4H] then the cell states [T+1, B, H]
// (slot 0 = c_{−1}); `stepStates` is the hidden states [T+1, B, H] (forward) or
// their gradients (backward); `work` (backward) holds dGates [T, B, 4H] then the cell
// gradients [T+1, B, H] (slot t+1 = dL/dc_t, slot 0 = dL/dc_{−1}).

override WORKGROUP_SIZE: u32 = 64u;

struct LstmUniforms {
  batch: u32,
  hiddenSize: u32,
  gatesOffset: u32,      // gates of step t in `saved` (forward and backward); dGates of step t in `work` (backward)
  cellOffset: u32,       // c_{t−1} in `saved`; c_t follows B·H later
  hiddenOffset: u32,     // forward: h_t in `stepStates`; backward: dL/dh_t in `stepStates`
  cellGradientOffset: u32, // backward: dL/dc_t in `work`; dL/dc_{t−1} is B·H earlier
}

@group(0) @binding(0) var<storage, read_write> saved: array<f32>;
@group(0) @binding(1) var<storage, read_write> stepStates: array<f32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<uniform> u: LstmUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let gate = u.gatesOffset + b * 4u * H + j;
  let i = stableSigmoid(saved[gate]);
  let f = stableSigmoid(saved[gate + H]);
  let g = stableTanh(saved[gate + 2u * H]);
  let o = stableSigmoid(saved[gate + 3u * H]);
  saved[gate] = i;
  saved[gate + H] = f;
  saved[gate + 2u * H] = g;
  saved[gate + 3u * H] = o;
  let cellPrevious = saved[u.cellOffset + index];
  let cell = f * cellPrevious + i * g;
  saved[u.cellOffset + u.batch * H + index] = cell;
  stepStates[u.hiddenOffset + index] = o * stableTanh(cell);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let gate = u.gatesOffset + b * 4u * H + j;
  let i = saved[gate];
  let f = saved[gate + H];
  let g = saved[gate + 2u * H];
  let o = saved[gate + 3u * H];
  let cellPrevious = saved[u.cellOffset + index];
  let tanhCell = stableTanh(saved[u.cellOffset + u.batch * H + index]);
  let dh = stepStates[u.hiddenOffset + index];
  let dc = work[u.cellGradientOffset + index] + dh * o * (1.0 - tanhCell) * (1.0 + tanhCell);
  work[gate] = dc * g * i * (1.0 - i);
  work[gate + H] = dc * cellPrevious * f * (1.0 - f);
  work[gate + 2u * H] = dc * i * (1.0 - g) * (1.0 + g);
  work[gate + 3u * H] = dh * tanhCell * o * (1.0 - o);
  work[u.cellGradientOffset - u.batch * H + index] = dc * f;
}
