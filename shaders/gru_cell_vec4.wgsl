// The GRU cell (gru_cell.wgsl) four hidden units per invocation, every buffer bound
// as vec4s: one invocation per (b, q), q < H/4, units j = 4q .. 4q + 3 of batch row b.
// Needs H and every offset in the uniforms (in words, as for the word kernel) to be
// multiples of 4; four units cost the loads and stores of one.

@group(0) @binding(0) var<storage, read> states: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> saved: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> stepStates: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> work: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> u: GruUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellForwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let Q = u.hiddenSize / 4u;
  if (index >= u.batch * Q) { return; }
  let b = index / Q;
  let q = index % Q;
  let x = u.inputPartOffset / 4u + b * 3u * Q + q;
  let h = u.recurrentPartOffset / 4u + b * 3u * Q + q;
  let previous = u.previousOffset / 4u + index;
  let step = gruForwardStep(saved[x], saved[x + Q], saved[x + 2u * Q], saved[h], saved[h + Q], saved[h + 2u * Q], stepStates[previous]);
  saved[x] = step.r;
  saved[x + Q] = step.z;
  saved[x + 2u * Q] = step.n;
  stepStates[previous + u.batch * Q] = step.hidden;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gruCellBackwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let Q = u.hiddenSize / 4u;
  if (index >= u.batch * Q) { return; }
  let b = index / Q;
  let q = index % Q;
  let x = u.inputPartOffset / 4u + b * 3u * Q + q;
  let h = u.recurrentPartOffset / 4u + b * 3u * Q + q;
  let step = gruBackwardStep(saved[x], saved[x + Q], saved[x + 2u * Q], saved[h + 2u * Q], states[u.previousOffset / 4u + index], stepStates[u.gradientOffset / 4u + index]);
  work[x] = step.daR;
  work[x + Q] = step.daZ;
  work[x + 2u * Q] = step.daN;
  work[h] = step.daR;
  work[h + Q] = step.daZ;
  work[h + 2u * Q] = step.daRecurrentN;
  let previousGradient = u.gradientOffset / 4u - u.batch * Q + index;
  stepStates[previousGradient] = stepStates[previousGradient] + step.dPreviousFromGate;
}
