// Adam and AdamW over the flat parameter buffer (torch.optim.Adam / AdamW, no amsgrad):
//   Adam:   g ← g + λ·p                        (L2 weight decay λ, when λ > 0)
//   AdamW:  p ← p · (1 − lr·λ)                 (decoupled weight decay)
//   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
//   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
// 1−β₁, 1−β₂ and the bias corrections 1−β₁ᵗ, √(1−β₂ᵗ) are computed on the CPU
// in float64 (t is known there) and passed as uniforms, so that no f32
// cancellation in 1−β enters the update.

override WORKGROUP_SIZE: u32 = 64u;

struct AdamUniforms {
  count: u32,
  learningRate: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  biasCorrection1: f32,     // 1 − β₁ᵗ
  biasCorrection2Sqrt: f32, // √(1 − β₂ᵗ)
  weightDecay: f32,         // λ
  decoupled: u32,           // 1: AdamW, 0: Adam (L2 in the gradient)
}

@group(0) @binding(0) var<storage, read> gradients: array<f32>;
@group(0) @binding(1) var<storage, read_write> parameters: array<f32>;
@group(0) @binding(2) var<storage, read_write> firstMoment: array<f32>;
@group(0) @binding(3) var<storage, read_write> secondMoment: array<f32>;
@group(0) @binding(4) var<uniform> u: AdamUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  var p = parameters[i];
  var g = gradients[i];
  if (u.decoupled != 0u) {
    p = p * (1.0 - u.learningRate * u.weightDecay);
  } else {
    g = g + u.weightDecay * p;
  }
  let m = u.beta1 * firstMoment[i] + u.oneMinusBeta1 * g;
  let v = u.beta2 * secondMoment[i] + u.oneMinusBeta2 * g * g;
  firstMoment[i] = m;
  secondMoment[i] = v;
  let denominator = sqrt(v) / u.biasCorrection2Sqrt + u.epsilon;
  parameters[i] = p - (u.learningRate / u.biasCorrection1) * m / denominator;
}
