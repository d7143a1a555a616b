// Global-norm gradient clipping over the flat gradient buffer, as
// torch.nn.utils.clip_grad_norm_ does it:
//   ‖g‖ = √(Σ_i g_i²),   c = min(1, maxNorm / (‖g‖ + 1e-6)),   g ← c · g
// in three dispatches, all on the GPU:
//   sumSquaresPartial: workgroup w writes Σ g_i² over its grid-stride share to partials[w]
//   clipCoefficient:   one workgroup sums the partials in a fixed order, writes ‖g‖ to
//                      the norm history and c to partials[PARTIALS]
//   scaleGradients:    g_i ← c · g_i

override WORKGROUP_SIZE: u32 = 64u;
const PARTIALS: u32 = 64u; // workgroups of the first pass

struct NormUniforms {
  count: u32,
  maxNorm: f32,
  historySlot: u32,
}

@group(0) @binding(0) var<storage, read> source: array<f32>;        // gradients (pass 1), partials (pass 3)
@group(0) @binding(1) var<storage, read_write> destination: array<f32>;  // partials (pass 1, 2), gradients (pass 3)
@group(0) @binding(2) var<storage, read_write> history: array<f32>; // pass 2: the norm history
@group(0) @binding(3) var<uniform> u: NormUniforms;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

fn reduceWorkgroup(value: f32, lane: u32) -> f32 {
  partial[lane] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[lane] = partial[lane] + partial[lane + stride]; }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sumSquaresPartial(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var i = group.x * WORKGROUP_SIZE + lane; i < u.count; i += PARTIALS * WORKGROUP_SIZE) {
    let g = source[i];
    sum += g * g;
  }
  let total = reduceWorkgroup(sum, lane);
  if (lane == 0u) { destination[group.x] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn clipCoefficient(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var w = lane; w < PARTIALS; w += WORKGROUP_SIZE) { sum += destination[w]; }
  let total = reduceWorkgroup(sum, lane);
  if (lane == 0u) {
    let norm = sqrt(total);
    history[u.historySlot] = norm;
    destination[PARTIALS] = min(1.0, u.maxNorm / (norm + 1e-6));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scaleGradients(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  destination[i] = destination[i] * source[PARTIALS];
}
