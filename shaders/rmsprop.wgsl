// RMSprop over the flat parameter buffer (torch.optim.RMSprop, not centered):
//   g ← g + λ·p                        (weight decay λ, when λ > 0)
//   v ← α·v + (1−α)·g²
//   with momentum μ > 0:  b ← μ·b + g / (√v + ε);  p ← p − lr·b
//   without:              p ← p − lr · g / (√v + ε)

override WORKGROUP_SIZE: u32 = 64u;

struct RmspropUniforms {
  count: u32,
  learningRate: f32,
  alpha: f32,
  oneMinusAlpha: f32,
  epsilon: f32,
  weightDecay: f32,
  momentum: f32,
}

@group(0) @binding(0) var<storage, read> gradients: array<f32>;
@group(0) @binding(1) var<storage, read_write> parameters: array<f32>;
@group(0) @binding(2) var<storage, read_write> squareAverage: array<f32>;
@group(0) @binding(3) var<storage, read_write> momentumBuffer: array<f32>; // bound only with momentum
@group(0) @binding(4) var<uniform> u: RmspropUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmspropUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  let p = parameters[i];
  let g = gradients[i] + u.weightDecay * p;
  let v = u.alpha * squareAverage[i] + u.oneMinusAlpha * g * g;
  squareAverage[i] = v;
  var step = g / (sqrt(v) + u.epsilon);
  if (u.momentum != 0.0) {
    step = u.momentum * momentumBuffer[i] + step;
    momentumBuffer[i] = step;
  }
  parameters[i] = p - u.learningRate * step;
}
