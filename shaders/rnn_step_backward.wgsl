// rnnStepBackward (see rnn_step.wgsl, which comes first in this module):
//   dA = (slot + product) ⊙ (1 − h²) (or ⊙ [h > 0]), in place in the state gradients,
// with h = h_t read from the hidden states.

fn stepOutputs(row: u32, col: u32, sums: vec4<f32>) -> vec4<f32> {
  let h = loadSavedRow(row, col);
  return select(tanhBackwardFromOutput4(sums, h), select(vec4<f32>(0.0), sums, h > vec4<f32>(0.0)), RELU);
}

@compute @workgroup_size(THREADS_X, THREADS_Y)
fn rnnStepBackward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  multiplyAndStoreTile(group, local, u.hiddenSize);
}
