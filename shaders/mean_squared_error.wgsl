// Mean squared error, forward and backward fused, one invocation per row
// (position) of the outputs [rows, V] (each row rowLength ≥ V words long; the
// words past V are left as they are) and target values [rows, V], as
// torch.nn.MSELoss with reduction 'mean' over the N rows that count (flag not
// IGNORED; rows past a sequence's length):
//   rowLoss_r = Σ_v (y_rv − t_rv)²      (the mean loss divides their sum by N·V)
//   dL/dy_rv  = 2 (y_rv − t_rv) / (N·V) (written over the outputs; 0 in ignored rows)

override WORKGROUP_SIZE: u32 = 64u;
const IGNORED: u32 = 0xffffffffu;

struct MseUniforms {
  rows: u32,
  classes: u32,
  outputsOffset: u32,
  gradientScale: f32, // 2 / (N·V)
  rowLength: u32,
}

@group(0) @binding(0) var<storage, read> targetValues: array<f32>;
@group(0) @binding(1) var<storage, read> rowFlags: array<u32>;
@group(0) @binding(2) var<storage, read_write> outputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowLosses: array<f32>;
@group(0) @binding(4) var<uniform> u: MseUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn meanSquaredError(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (row >= u.rows) { return; }
  let base = u.outputsOffset + row * u.rowLength;
  let counted = rowFlags[row] != IGNORED;
  var sum = 0.0;
  for (var v = 0u; v < u.classes; v++) {
    let difference = outputs[base + v] - targetValues[row * u.classes + v];
    sum += difference * difference;
    outputs[base + v] = select(0.0, u.gradientScale * difference, counted);
  }
  rowLosses[row] = select(0.0, sum, counted);
}
