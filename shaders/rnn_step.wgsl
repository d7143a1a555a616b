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
// directions and both kinds of loads share: the uniforms, and the register-tile
// core's epilogue (matmul_register_tile.wgsl), which adds four columns of a row of
// the product into the target slot and applies the direction's
//   fn stepOutputs(row: u32, col: u32, sums: vec4<f32>) -> vec4<f32>
// (rnn_step_forward.wgsl, rnn_step_backward.wgsl, with their entry points). The
// loads file binds the buffers (the backward step alone uses `saved`) and defines
// the core's block loads and
//   fn loadTargetRow(row: u32, col: u32) -> vec4<f32>   // slot[row, col .. col + 3]
//   fn storeTargetRow(row: u32, col: u32, values: vec4<f32>)
//   fn loadSavedRow(row: u32, col: u32) -> vec4<f32>    // h_t[row, col .. col + 3]
// rnn_step_register_loads.wgsl with words (any H: columns past H clamped on load,
// skipped on store), rnn_step_register_loads_vec4.wgsl with vec4s (H and every
// offset multiples of 4).

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

// slot[row, col .. col + 3] = stepOutputs(slot[row, col .. col + 3] + products); the row and the
// first column inside the matrix (the loads file skips columns past H); the core's blocks
// come here row by row (register_row_stores.wgsl).
fn storeOutputRow(row: u32, col: u32, products: vec4<f32>) {
  if (row >= u.batch || col >= u.hiddenSize) { return; }
  storeTargetRow(row, col, stepOutputs(row, col, loadTargetRow(row, col) + products));
}
