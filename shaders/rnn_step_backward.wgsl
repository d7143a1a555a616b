// rnnStepBackward (see rnn_step.wgsl, which comes first in this module):
//   dA = (slot + product) ⊙ (1 − h²) (or ⊙ [h > 0]), in place in the state gradients,
// with h = h_t read from the hidden states.

@group(0) @binding(1) var<storage, read> saved: array<f32>;

fn storeOutput(row: u32, col: u32, product: f32) {
  if (row >= u.batch || col >= u.hiddenSize) { return; }
  let element = row * u.hiddenSize + col;
  let index = u.targetOffset + element;
  let sum = states[index] + product;
  let h = saved[u.savedOffset + element];
  states[index] = select(tanhBackwardFromOutput(sum, h), select(0.0, sum, h > 0.0), RELU);
}

@compute @workgroup_size(THREADS_X, THREADS_Y)
fn rnnStepBackward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  multiplyAndStoreTile(group, local, u.hiddenSize);
}
