// GRU cell, elementwise part of one time step. The input part a_x = W_ih x_t + b_ih
// (all t at once) and the recurrent part a_h = W_hh h_{t−1} + b_hh (this step's
// matmul) arrive separately, gates stacked r, z, n (PyTorch order), because the
// reset gate multiplies the recurrent part of n only, b_hn included:
//
// Forward:   r = σ(a_xr + a_hr)   z = σ(a_xz + a_hz)   n = tanh(a_xn + r ⊙ a_hn)
//            h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
//            r, z, n overwrite a_x (kept for backward); a_h is kept as it is.
//
// Backward, with dh = dL/dh_t (from above and from step t+1):
//            dn  = dh ⊙ (1 − z)              dz = dh ⊙ (h_{t−1} − n)
//            da_n = dn ⊙ (1 − n²)             (gradient of tanh's argument)
//            da_r = da_n ⊙ a_hn ⊙ r(1 − r)    da_z = dz ⊙ z(1 − z)
//            dL/da_x = [da_r, da_z, da_n]      dL/da_h = [da_r, da_z, da_n ⊙ r]
//            dL/dh_{t−1} gets dh ⊙ z here, and dL/da_h · W_hh from the next dispatch.
//
// Buffers: `saved` holds a_x (then r, z, n) [T, B, 3H] followed by a_h [T, B, 3H];
// `stepStates` is the hidden states [T+1, B, H] (forward) or their gradients
// (backward); `states` (backward) the hidden states; `work` (backward) holds
// dL/da_x [T, B, 3H] followed by dL/da_h [T, B, 3H].

override WORKGROUP_SIZE: u32 = 64u;

struct GruUniforms {
  batch: u32,
  hiddenSize: u32,
  inputPartOffset: u32,     // a_x of step t in `saved`; dL/da_x of step t in `work`
  recurrentPartOffset: u32, // a_h of step t in `saved`; dL/da_h of step t in `work`
  previousOffset: u32,      // h_{t−1} (forward: in `stepStates`, h_t follows B·H later; backward: in `states`)
  gradientOffset: u32,      // backward: dL/dh_t in `stepStates`; dL/dh_{t−1} is B·H earlier
}

@group(0) @binding(0) var<storage, read> states: array<f32>;
@group(0) @binding(1) var<storage, read_write> saved: array<f32>;
@group(0) @binding(2) var<storage, read_write> stepStates: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<uniform> u: GruUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let x = u.inputPartOffset + b * 3u * H + j;
  let h = u.recurrentPartOffset + b * 3u * H + j;
  let r = stableSigmoid(saved[x] + saved[h]);
  let z = stableSigmoid(saved[x + H] + saved[h + H]);
  let n = stableTanh(saved[x + 2u * H] + r * saved[h + 2u * H]);
  saved[x] = r;
  saved[x + H] = z;
  saved[x + 2u * H] = n;
  let previous = stepStates[u.previousOffset + index];
  stepStates[u.previousOffset + u.batch * H + index] = (1.0 - z) * n + z * previous;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let x = u.inputPartOffset + b * 3u * H + j;
  let h = u.recurrentPartOffset + b * 3u * H + j;
  let r = saved[x];
  let z = saved[x + H];
  let n = saved[x + 2u * H];
  let recurrentN = saved[h + 2u * H];
  let previous = states[u.previousOffset + index];
  let dh = stepStates[u.gradientOffset + index];
  let dn = dh * (1.0 - z);
  let dz = dh * (previous - n);
  let daN = dn * (1.0 - n) * (1.0 + n);
  let daR = daN * recurrentN * r * (1.0 - r);
  let daZ = dz * z * (1.0 - z);
  work[x] = daR;
  work[x + H] = daZ;
  work[x + 2u * H] = daN;
  work[h] = daR;
  work[h + H] = daZ;
  work[h + 2u * H] = daN * r;
  let previousGradient = u.gradientOffset - u.batch * H + index;
  stepStates[previousGradient] = stepStates[previousGradient] + dh * z;
}
