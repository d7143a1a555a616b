// Stochastic gradient descent over the flat parameter buffer (torch.optim.SGD):
//   p ← p − lr · g

override WORKGROUP_SIZE: u32 = 64u;

struct SgdUniforms {
  count: u32,
  learningRate: f32,
}

@group(0) @binding(0) var<storage, read> gradients: array<f32>;
@group(0) @binding(1) var<storage, read_write> parameters: array<f32>;
@group(0) @binding(2) var<uniform> u: SgdUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgdUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  parameters[i] = parameters[i] - u.learningRate * gradients[i];
}
