// Softmax cross-entropy, forward and backward fused, over logits [rows, classes]
// (each row rowLength ≥ classes words long; the words past classes are left as
// they are) with integer targets; a row whose target is IGNORED gets no loss and a zero
// gradient. For the mean loss over the N rows that count (1/N = inverseCount):
//   loss_r       = log Σ_c exp(z_rc) − z_r,target  = log Σ_c exp(z_rc − m) − (z_r,target − m),  m = max_c z_rc
//   dL/dz_rc     = (softmax(z_r)_c − [c = target_r]) / N,  softmax_c = exp(z_rc − m) / Σ exp(z − m)
// The gradient overwrites the logits in place; the row loss goes to rowLosses[r].
// Two schedules of the same formula:
//   softmaxCrossEntropyPerRow: one invocation per row, three passes over its
//     classes, no barriers: for vocabularies up to a few thousand classes (CPU
//     adapters pay dearly for workgroup barriers; GPUs have rows enough to fill).
//   softmaxCrossEntropy: one workgroup per row with tree reductions: for large
//     vocabularies. Every logit is read and overwritten by the same invocation
//     (the one owning its column), so no invocation reads a storage word another
//     one writes.

override WORKGROUP_SIZE: u32 = 64u;

struct CrossEntropyUniforms {
  rows: u32,
  classes: u32,
  logitsOffset: u32,
  inverseCount: f32, // 1 / N, N the rows whose target is not IGNORED: the mean's weight
  rowLength: u32,
}

const IGNORED: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> targets: array<u32>;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> rowLosses: array<f32>;
@group(0) @binding(3) var<uniform> u: CrossEntropyUniforms;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

// Tree reduction over the workgroup; every invocation gets the result.
fn reduceMax(value: f32, lane: u32) -> f32 {
  partial[lane] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[lane] = max(partial[lane], partial[lane + stride]); }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

fn reduceSum(value: f32, lane: u32) -> f32 {
  partial[lane] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[lane] = partial[lane] + partial[lane + stride]; }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmaxCrossEntropy(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                       @builtin(local_invocation_index) lane: u32) {
  let row = group.x + group.y * groups.x;
  // `row` is uniform across the workgroup, so every invocation takes the same path.
  if (row >= u.rows) { return; }
  let base = u.logitsOffset + row * u.rowLength;

  var localMax = -3.4028234e38; // lowest finite f32, rounded toward zero
  for (var c = lane; c < u.classes; c += WORKGROUP_SIZE) { localMax = max(localMax, logits[base + c]); }
  let rowMax = reduceMax(localMax, lane);

  var localSum = 0.0;
  for (var c = lane; c < u.classes; c += WORKGROUP_SIZE) { localSum += exp(logits[base + c] - rowMax); }
  let sumExp = reduceSum(localSum, lane);

  let targetClass = targets[row];
  let counted = targetClass != IGNORED;
  if (!counted && lane == 0u) { rowLosses[row] = 0.0; }
  let logSumExp = log(sumExp);
  for (var c = lane; c < u.classes; c += WORKGROUP_SIZE) {
    let shifted = logits[base + c] - rowMax;
    if (c == targetClass) { rowLosses[row] = logSumExp - shifted; }
    let probability = exp(shifted) / sumExp;
    let oneHot = select(0.0, 1.0, c == targetClass);
    logits[base + c] = select(0.0, (probability - oneHot) * u.inverseCount, counted);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmaxCrossEntropyPerRow(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (row >= u.rows) { return; }
  let base = u.logitsOffset + row * u.rowLength;
  let targetClass = targets[row];
  if (targetClass == IGNORED) {
    rowLosses[row] = 0.0;
    for (var c = 0u; c < u.classes; c++) { logits[base + c] = 0.0; }
    return;
  }
  var rowMax = -3.4028234e38;
  for (var c = 0u; c < u.classes; c++) { rowMax = max(rowMax, logits[base + c]); }
  var sumExp = 0.0;
  for (var c = 0u; c < u.classes; c++) { sumExp += exp(logits[base + c] - rowMax); }
  let logSumExp = log(sumExp);
  rowLosses[row] = logSumExp - (logits[base + targetClass] - rowMax);
  for (var c = 0u; c < u.classes; c++) {
    let probability = exp(logits[base + c] - rowMax) / sumExp;
    let oneHot = select(0.0, 1.0, c == targetClass);
    logits[base + c] = (probability - oneHot) * u.inverseCount;
  }
}
