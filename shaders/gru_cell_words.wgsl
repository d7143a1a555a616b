// The GRU cell (gru_cell.wgsl) one hidden unit per invocation: one invocation per
// (b, j), j < H, its values splatted into the formulas' four lanes, lane x kept.

@group(0) @binding(0) var<storage, read> states: array<f32>;
@group(0) @binding(1) var<storage, read_write> saved: array<f32>;
@group(0) @binding(2) var<storage, read_write> stepStates: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<uniform> u: GruUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let x = u.inputPartOffset + b * 3u * H + j;
  let h = u.recurrentPartOffset + b * 3u * H + j;
  let step = gruForwardStep(
    vec4<f32>(saved[x]), vec4<f32>(saved[x + H]), vec4<f32>(saved[x + 2u * H]),
    vec4<f32>(saved[h]), vec4<f32>(saved[h + H]), vec4<f32>(saved[h + 2u * H]),
    vec4<f32>(stepStates[u.previousOffset + index]),
  );
  saved[x] = step.r.x;
  saved[x + H] = step.z.x;
  saved[x + 2u * H] = step.n.x;
  stepStates[u.previousOffset + u.batch * H + index] = step.hidden.x;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let H = u.hiddenSize;
  if (index >= u.batch * H) { return; }
  let b = index / H;
  let j = index % H;
  let x = u.inputPartOffset + b * 3u * H + j;
  let h = u.recurrentPartOffset + b * 3u * H + j;
  let step = gruBackwardStep(
    vec4<f32>(saved[x]), vec4<f32>(saved[x + H]), vec4<f32>(saved[x + 2u * H]), vec4<f32>(saved[h + 2u * H]),
    vec4<f32>(states[u.previousOffset + index]), vec4<f32>(stepStates[u.gradientOffset + index]),
  );
  work[x] = step.daR.x;
  work[x + H] = step.daZ.x;
  work[x + 2u * H] = step.daN.x;
  work[h] = step.daR.x;
  work[h + H] = step.daZ.x;
  work[h + 2u * H] = step.daRecurrentN.x;
  let previousGradient = u.gradientOffset - u.batch * H + index;
  stepStates[previousGradient] = stepStates[previousGradient] + step.dPreviousFromGate.x;
}
