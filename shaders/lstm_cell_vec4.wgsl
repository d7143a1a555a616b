// The LSTM cell (lstm_cell.wgsl) four hidden units per invocation, every buffer bound
// as vec4s: one invocation per (b, q), q < H/4, units j = 4q .. 4q + 3 of batch row b.
// Needs H and every offset in the uniforms (in words, as for the word kernel) to be
// multiples of 4; four units cost the loads and stores of one.

@group(0) @binding(0) var<storage, read_write> saved: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> stepStates: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> work: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: LstmUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellForwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let Q = u.hiddenSize / 4u;
  if (index >= u.batch * Q) { return; }
  let b = index / Q;
  let q = index % Q;
  let gate = u.gatesOffset / 4u + b * 4u * Q + q;
  let cellPrevious = u.cellOffset / 4u + index;
  let step = lstmForwardStep(saved[gate], saved[gate + Q], saved[gate + 2u * Q], saved[gate + 3u * Q], saved[cellPrevious]);
  saved[gate] = step.i;
  saved[gate + Q] = step.f;
  saved[gate + 2u * Q] = step.g;
  saved[gate + 3u * Q] = step.o;
  saved[cellPrevious + u.batch * Q] = step.cell;
  stepStates[u.hiddenOffset / 4u + index] = step.hidden;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellBackwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let Q = u.hiddenSize / 4u;
  if (index >= u.batch * Q) { return; }
  let b = index / Q;
  let q = index % Q;
  let gate = u.gatesOffset / 4u + b * 4u * Q + q;
  let cellPrevious = u.cellOffset / 4u + index;
  let cellGradient = u.cellGradientOffset / 4u + index;
  let step = lstmBackwardStep(
    saved[gate], saved[gate + Q], saved[gate + 2u * Q], saved[gate + 3u * Q],
    saved[cellPrevious], saved[cellPrevious + u.batch * Q],
    stepStates[u.hiddenOffset / 4u + index], work[cellGradient],
  );
  work[gate] = step.dI;
  work[gate + Q] = step.dF;
  work[gate + 2u * Q] = step.dG;
  work[gate + 3u * Q] = step.dO;
  work[cellGradient - u.batch * Q] = step.dCellPrevious;
}
