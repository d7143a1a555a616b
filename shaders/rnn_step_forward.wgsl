// rnnStepForward (see rnn_step.wgsl, which comes first in this module):
//   h = tanh(slot + product) (or relu), in place in the hidden states.

fn storeOutput(row: u32, col: u32, product: f32) {
  if (row >= u.batch || col >= u.hiddenSize) { return; }
  let index = u.targetOffset + row * u.hiddenSize + col;
  let sum = states[index] + product;
  states[index] = select(stableTanh(sum), max(sum, 0.0), RELU);
}

@compute @workgroup_size(THREADS_X, THREADS_Y)
fn rnnStepForward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  multiplyAndStoreTile(group, local, u.hiddenSize);
}
