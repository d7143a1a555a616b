// rnnStepForward (see rnn_step.wgsl, which comes first in this module):
//   h = tanh(slot + product) (or relu), in place in the hidden states.

fn stepOutputs(row: u32, col: u32, sums: vec4<f32>) -> vec4<f32> {
  return select(stableTanh4(sums), max(sums, vec4<f32>(0.0)), RELU);
}

@compute @workgroup_size(THREADS_X, THREADS_Y)
fn rnnStepForward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  multiplyAndStoreTile(group, local, u.hiddenSize);
}
