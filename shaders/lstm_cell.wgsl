// LSTM cell, elementwise part of one time step (the recurrent product
// h_{t−1} W_hhᵀ has already been added into the gate pre-activations).
// Gates stacked i, f, g, o (PyTorch order):
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
//
// This file holds the formulas, on four hidden units at once (lane k is unit j + k);
// lstm_cell_words.wgsl runs them one unit per invocation (its value in every lane),
// lstm_cell_vec4.wgsl four units per invocation with the buffers bound as vec4s.

override WORKGROUP_SIZE: u32 = 64u;

struct LstmUniforms {
  batch: u32,
  hiddenSize: u32,
  gatesOffset: u32,      // gates of step t in `saved` (forward and backward); dGates of step t in `work` (backward)
  cellOffset: u32,       // c_{t−1} in `saved`; c_t follows B·H later
  hiddenOffset: u32,     // forward: h_t in `stepStates`; backward: dL/dh_t in `stepStates`
  cellGradientOffset: u32, // backward: dL/dc_t in `work`; dL/dc_{t−1} is B·H earlier
}

struct LstmForwardStep {
  i: vec4<f32>,
  f: vec4<f32>,
  g: vec4<f32>,
  o: vec4<f32>,
  cell: vec4<f32>,   // c_t
  hidden: vec4<f32>, // h_t
}

fn lstmForwardStep(preI: vec4<f32>, preF: vec4<f32>, preG: vec4<f32>, preO: vec4<f32>, cellPrevious: vec4<f32>) -> LstmForwardStep {
  let i = stableSigmoid4(preI);
  let f = stableSigmoid4(preF);
  let g = stableTanh4(preG);
  let o = stableSigmoid4(preO);
  let cell = f * cellPrevious + i * g;
  return LstmForwardStep(i, f, g, o, cell, o * stableTanh4(cell));
}

struct LstmBackwardStep {
  dI: vec4<f32>,
  dF: vec4<f32>,
  dG: vec4<f32>,
  dO: vec4<f32>,
  dCellPrevious: vec4<f32>, // dL/dc_{t−1}
}

// From the saved activations, c_{t−1} and c_t, dh = dL/dh_t and dc' = dL/dc_t carried from step t+1.
fn lstmBackwardStep(i: vec4<f32>, f: vec4<f32>, g: vec4<f32>, o: vec4<f32>, cellPrevious: vec4<f32>, cell: vec4<f32>, dh: vec4<f32>, dCellCarried: vec4<f32>) -> LstmBackwardStep {
  let tanhCell = stableTanh4(cell);
  let dc = dCellCarried + dh * o * (1.0 - tanhCell) * (1.0 + tanhCell);
  return LstmBackwardStep(
    dc * g * i * (1.0 - i),
    dc * cellPrevious * f * (1.0 - f),
    dc * i * (1.0 - g) * (1.0 + g),
    dh * tanhCell * o * (1.0 - o),
    dc * f,
  );
}
