// Dropout between stacked layers (inverted dropout, as torch.nn.RNN/LSTM/GRU's
// `dropout`): each element is kept with probability 1 − p and scaled by 1/(1 − p).
//   dropoutForward:   out[i] = x[i] · m_i
//   dropoutBackward:  dx[i] = dx[i] · m_i          (in place)
// m_i comes from a counter-based hash of (key, i), so forward and backward draw
// the same mask without storing it, and the CPU can reproduce it (src/model/dropout.ts):
//   u_i = (pcg(i ^ key) >> 8) / 2^24,   m_i = u_i ≥ p ? 1/(1 − p) : 0
// With p = 0 (evaluation) every m_i is 1 and forward is a copy.

override WORKGROUP_SIZE: u32 = 64u;

struct DropoutUniforms {
  count: u32,
  key: u32,             // per run and layer, from the model's seed
  dropProbability: f32, // p
  keptScale: f32,       // 1/(1 − p)
  inputOffset: u32,
  outputOffset: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> u: DropoutUniforms;

// PCG-RXS-M-XS 32-bit hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020).
fn pcgHash(value: u32) -> u32 {
  let state = value * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn mask(i: u32) -> f32 {
  let uniform01 = f32(pcgHash(i ^ u.key) >> 8u) * (1.0 / 16777216.0);
  return select(0.0, u.keptScale, uniform01 >= u.dropProbability);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropoutForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  output[u.outputOffset + i] = input[u.inputOffset + i] * mask(i);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropoutBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  output[u.outputOffset + i] = output[u.outputOffset + i] * mask(i);
}
