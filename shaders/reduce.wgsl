// Reductions.
//   columnSums: out[o + j] += Σ_r a[offset + r·cols + j]   (bias gradients; also to a second output
//               offset when given, since b_ih and b_hh receive the same gradient)
//   meanLoss:   losses[slot] = (Σ_r rowLosses[r]) · scale   (one workgroup, fixed summation order)

override WORKGROUP_SIZE: u32 = 64u;

struct ReduceUniforms {
  rows: u32,
  cols: u32,
  inputOffset: u32,
  outputOffset0: u32,
  outputOffset1: u32, // NO_OUTPUT when absent
  scale: f32,
}

const NO_OUTPUT: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> u: ReduceUniforms;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn columnSums(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= u.cols) { return; }
  var sum = 0.0;
  for (var r = 0u; r < u.rows; r++) { sum += input[u.inputOffset + r * u.cols + j]; }
  output[u.outputOffset0 + j] += sum;
  if (u.outputOffset1 != NO_OUTPUT) { output[u.outputOffset1 + j] += sum; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn meanLoss(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var r = lane; r < u.rows; r += WORKGROUP_SIZE) { sum += input[u.inputOffset + r]; }
  partial[lane] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[lane] = partial[lane] + partial[lane + stride]; }
    workgroupBarrier();
  }
  if (lane == 0u) { output[u.outputOffset0] = partial[0] * u.scale; }
}
