// Elementwise tanh over a buffer slice (stableTanh from tanh.wgsl):
//   tanhForward:   out[i] = tanh(x[i])
//   tanhBackward:  dx[i]  = dOut[i] ⊙ (1 − out[i]²)

struct ElementwiseUniforms {
  count: u32,
  offsetIn: u32,
  offsetSaved: u32,
  offsetOut: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> input: array<f32>;   // x (forward) or dOut (backward)
@group(0) @binding(1) var<storage, read> saved: array<f32>;   // tanh outputs (backward only)
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> u: ElementwiseUniforms;

fn flatIndex(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn tanhForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(id, groups);
  if (i >= u.count) { return; }
  output[u.offsetOut + i] = stableTanh(input[u.offsetIn + i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn tanhBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(id, groups);
  if (i >= u.count) { return; }
  output[u.offsetOut + i] = tanhBackwardFromOutput(input[u.offsetIn + i], saved[u.offsetSaved + i]);
}
