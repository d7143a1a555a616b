// The LSTM cell (lstm_cell.wgsl) one hidden unit per invocation: one invocation per
// (b, j), j < H, its values splatted into the formulas' four lanes, lane x kept.

@group(0) @binding(0) var<storage, read_write> saved: array<f32>;
@group(0) @binding(1) var<storage, read_write> stepStates: array<f32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<uniform> u: LstmUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let gate = u.gatesOffset + b * 4u * H + j;
  let step = lstmForwardStep(
    vec4<f32>(saved[gate]), vec4<f32>(saved[gate + H]), vec4<f32>(saved[gate + 2u * H]), vec4<f32>(saved[gate + 3u * H]),
    vec4<f32>(saved[u.cellOffset + index]),
  );
  saved[gate] = step.i.x;
  saved[gate + H] = step.f.x;
  saved[gate + 2u * H] = step.g.x;
  saved[gate + 3u * H] = step.o.x;
  saved[u.cellOffset + u.batch * H + index] = step.cell.x;
  stepStates[u.hiddenOffset + index] = step.hidden.x;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstmCellBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let gate = u.gatesOffset + b * 4u * H + j;
  let step = lstmBackwardStep(
    vec4<f32>(saved[gate]), vec4<f32>(saved[gate + H]), vec4<f32>(saved[gate + 2u * H]), vec4<f32>(saved[gate + 3u * H]),
    vec4<f32>(saved[u.cellOffset + index]), vec4<f32>(saved[u.cellOffset + u.batch * H + index]),
    vec4<f32>(stepStates[u.hiddenOffset + index]), vec4<f32>(work[u.cellGradientOffset + index]),
  );
  work[gate] = step.dI.x;
  work[gate + H] = step.dF.x;
  work[gate + 2u * H] = step.dG.x;
  work[gate + 3u * H] = step.dO.x;
  work[u.cellGradientOffset - u.batch * H + index] = step.dCellPrevious.x;
}
