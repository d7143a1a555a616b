// Stochastic gradient descent over the flat parameter buffer (torch.optim.SGD,
// dampening 0):
//   g ← g + λ·p                               (weight decay λ, when λ > 0)
//   b ← μ·b + g                               (momentum μ > 0; b starts at 0, so b₁ = g₁)
//   g ← g + μ·b  (Nesterov)   or   g ← b
//   p ← p − lr · g

override WORKGROUP_SIZE: u32 = 64u;

struct SgdUniforms {
  count: u32,
  learningRate: f32,
  momentum: f32,
  weightDecay: f32,
  nesterov: u32,
}

@group(0) @binding(0) var<storage, read> gradients: array<f32>;
@group(0) @binding(1) var<storage, read_write> parameters: array<f32>;
@group(0) @binding(2) var<storage, read_write> momentumBuffer: array<f32>; // bound only with momentum
@group(0) @binding(3) var<uniform> u: SgdUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgdUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  let p = parameters[i];
  var g = gradients[i] + u.weightDecay * p;
  if (u.momentum != 0.0) {
    let b = u.momentum * momentumBuffer[i] + g;
    momentumBuffer[i] = b;
    g = select(b, g + u.momentum * b, u.nesterov != 0u);
  }
  parameters[i] = p - u.learningRate * g;
}
