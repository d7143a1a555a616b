// The gradient norm, gradient clipping and the guard against non-finite steps, over
// the flat gradient buffer, all on the GPU (no readback):
//   ‖g‖ = √(Σ_i g_i²)                                      (the global L2 norm)
//   c = min(1, maxNorm / (‖g‖ + 1e-6)),  g ← c · g          (torch.nn.utils.clip_grad_norm_, when clipping)
//   finite = ‖g‖ and the step's loss are finite numbers
// in three dispatches:
//   sumSquaresPartial: invocation p writes Σ g_i² over i = p, p + PARTIALS, … to partials[p]
//                      (no workgroup memory or barriers: on CPU adapters a barrier switches
//                      every invocation of the workgroup, and SwiftShader spent 40 ms a step
//                      on the first pass when each workgroup reduced its share)
//   finishNorm:        one workgroup sums the partials in a fixed order; writes ‖g‖ to the
//                      norm history, c to partials[PARTIALS], and the optimizer's indirect
//                      dispatch size: its grid if finite, 0 workgroups (the update skipped)
//                      if not, counting the skipped steps
//   scaleGradients:    g_i ← c · g_i   (only when clipping)
// Finiteness is read from the bits (exponent all ones = ±Inf or NaN): compilers may
// assume no NaN in float comparisons.

override WORKGROUP_SIZE: u32 = 64u;
const PARTIALS: u32 = 4096u; // invocations of the first pass (GRADIENT_NORM_PARTIALS), a partial sum each

struct NormUniforms {
  count: u32,
  maxNorm: f32,      // 0: no clipping (c = 1)
  historySlot: u32,  // this run's element of the loss and norm histories
  updateGridX: u32,  // the optimizer's dispatch size when the step is finite
  updateGridY: u32,
}

// Guard: [0..2] the optimizer's indirect dispatch size, [3] steps skipped so far.
@group(0) @binding(0) var<storage, read> source: array<f32>;        // gradients (pass 1); partials (pass 3); losses (pass 2)
@group(0) @binding(1) var<storage, read_write> destination: array<f32>; // partials (pass 1, 2); gradients (pass 3)
@group(0) @binding(2) var<storage, read_write> history: array<f32>; // pass 2: the norm history
@group(0) @binding(3) var<storage, read_write> guard: array<u32>;   // pass 2
@group(0) @binding(4) var<uniform> u: NormUniforms;

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

fn isFiniteNumber(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sumSquaresPartial(@builtin(global_invocation_id) id: vec3<u32>) {
  let p = id.x;
  var sum = 0.0;
  for (var i = p; i < u.count; i += PARTIALS) {
    let g = source[i];
    sum += g * g;
  }
  destination[p] = sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn finishNorm(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var w = lane; w < PARTIALS; w += WORKGROUP_SIZE) { sum += destination[w]; }
  let total = reduceWorkgroup(sum, lane);
  if (lane == 0u) {
    let norm = sqrt(total);
    history[u.historySlot] = norm;
    destination[PARTIALS] = select(1.0, min(1.0, u.maxNorm / (norm + 1e-6)), u.maxNorm > 0.0);
    let finite = isFiniteNumber(norm) && isFiniteNumber(source[u.historySlot]);
    guard[0] = select(0u, u.updateGridX, finite);
    guard[1] = select(0u, u.updateGridY, finite);
    guard[2] = select(0u, 1u, finite);
    guard[3] = guard[3] + select(1u, 0u, finite);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scaleGradients(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  destination[i] = destination[i] * source[PARTIALS];
}
