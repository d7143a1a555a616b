// Adam and AdamW over the flat parameter buffer (torch.optim.Adam / AdamW, no amsgrad):
//   Adam:   g ← g + λ·p                        (L2 weight decay λ, when λ > 0)
//   AdamW:  p ← p · (1 − lr·λ)                 (decoupled weight decay)
//   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
//   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
// 1−β₁, 1−β₂ and the bias corrections 1−β₁ᵗ, √(1−β₂ᵗ) are computed on the CPU
// in float64 (t is known there) and passed as uniforms, so that no f32
// cancellation in 1−β enters the update.
// Four parameters per invocation, the buffers bound as vec4s (on CPU adapters
// every load is a loop over the invocations): the buffers hold `count` words
// rounded up to a multiple of 4 (createStorageBuffer makes them so), and the
// words past `count` in the last four are left as they are.

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

@group(0) @binding(0) var<storage, read> gradients: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> parameters: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> firstMoment: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> secondMoment: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> u: AdamUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (4u * i >= u.count) { return; }
  // Parameters 4i .. 4i + 3; those at count and past it keep their words.
  let inside = 4u * i + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(u.count);
  let p0 = parameters[i];
  let m0 = firstMoment[i];
  let v0 = secondMoment[i];
  var p = p0;
  var g = gradients[i];
  if (u.decoupled != 0u) {
    p = p * (1.0 - u.learningRate * u.weightDecay);
  } else {
    g = g + u.weightDecay * p;
  }
  let m = u.beta1 * m0 + u.oneMinusBeta1 * g;
  let v = u.beta2 * v0 + u.oneMinusBeta2 * g * g;
  firstMoment[i] = select(m0, m, inside);
  secondMoment[i] = select(v0, v, inside);
  let denominator = sqrt(v) / u.biasCorrection2Sqrt + u.epsilon;
  parameters[i] = select(p0, p - (u.learningRate / u.biasCorrection1) * m / denominator, inside);
}
