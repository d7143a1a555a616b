// One time step of the simple RNN, fused: the recurrent product and the
// nonlinearity (tanh, or relu) in one dispatch.
//
// Forward, in the hidden states [T+1, B, H] (slot t+1 holds the input projection
// W_ih x_t + b_ih + b_hh on entry; slot 0 is h_{−1}):
//   h_t = tanh(slot[t+1] + h_{t-1} · W_hhᵀ)            written back to slot t+1
// Backward, in the state gradients [T+2, B, H] (slot t+1 holds dL/dh_t from the
// layer above on entry, slot t+2 holds dA_{t+1}; slot T+1 stays zero):
//   dA_t = (slot[t+1] + dA_{t+1} · W_hh) ⊙ (1 − h_t²)  written back to slot t+1
// where A_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh is the pre-activation.
//
// opA is the previous/next state slot (B x H), opB is W_hhᵀ (forward) or W_hh
// (backward), read from the flat parameter buffer. This file holds what both
// directions share; rnn_step_forward.wgsl and rnn_step_backward.wgsl follow it with
// their storeOutput and entry point (backward alone binds the saved hidden states).

override RELU: bool = false; // the nonlinearity: relu instead of tanh (dA = dH ⊙ [h > 0])
override TRANSPOSE_B: bool = true; // true: forward (W_hhᵀ), false: backward (W_hh)

struct StepUniforms {
  batch: u32,
  hiddenSize: u32,
  weightOffset: u32,  // W_hh [H, H] in the parameter buffer
  sourceOffset: u32,  // slot multiplied by the weight
  targetOffset: u32,  // slot updated in place
  savedOffset: u32,   // backward: h_t in the hidden-state buffer
}

@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> states: array<f32>;
@group(0) @binding(3) var<uniform> u: StepUniforms;

fn loadA(row: u32, k: u32) -> f32 {
  if (row >= u.batch || k >= u.hiddenSize) { return 0.0; }
  return states[u.sourceOffset + row * u.hiddenSize + k];
}

fn loadB(k: u32, col: u32) -> f32 {
  if (k >= u.hiddenSize || col >= u.hiddenSize) { return 0.0; }
  if (TRANSPOSE_B) { return weights[u.weightOffset + col * u.hiddenSize + k]; }
  return weights[u.weightOffset + k * u.hiddenSize + col];
}
