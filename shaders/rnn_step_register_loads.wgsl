// The register-tile core's word loads for rnn_step.wgsl (see matmul_register_tile.wgsl),
// one K step at a time (K_STEP 1, column 0 of each block), and the epilogue's row
// accesses, four words each: opA is the source state slot [batch, hidden], opB is
// W_hhᵀ (forward) or W_hh (backward) [hidden, hidden]; indices clamped into the
// matrices (and columns past H skipped on store).

@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read> saved: array<f32>;
@group(0) @binding(2) var<storage, read_write> states: array<f32>;
@group(0) @binding(3) var<uniform> u: StepUniforms;

// Column 0: opA[row .. row + 3, k].
fn loadBlockOfA(row: u32, k: u32) -> mat4x4<f32> {
  let last = u.batch - 1u;
  let base = u.sourceOffset + k;
  let rows = vec4<f32>(
    states[base + min(row, last) * u.hiddenSize],
    states[base + min(row + 1u, last) * u.hiddenSize],
    states[base + min(row + 2u, last) * u.hiddenSize],
    states[base + min(row + 3u, last) * u.hiddenSize],
  );
  return mat4x4<f32>(rows, vec4<f32>(), vec4<f32>(), vec4<f32>());
}

// Column 0: opB[k, col .. col + 3].
fn loadBlockOfB(k: u32, col: u32) -> mat4x4<f32> {
  let last = u.hiddenSize - 1u;
  let c0 = min(col, last);
  let c1 = min(col + 1u, last);
  let c2 = min(col + 2u, last);
  let c3 = min(col + 3u, last);
  var columns: vec4<f32>;
  if (TRANSPOSE_B) {
    let base = u.weightOffset + k;
    columns = vec4<f32>(weights[base + c0 * u.hiddenSize], weights[base + c1 * u.hiddenSize], weights[base + c2 * u.hiddenSize], weights[base + c3 * u.hiddenSize]);
  } else {
    let base = u.weightOffset + k * u.hiddenSize;
    columns = vec4<f32>(weights[base + c0], weights[base + c1], weights[base + c2], weights[base + c3]);
  }
  return mat4x4<f32>(columns, vec4<f32>(), vec4<f32>(), vec4<f32>());
}

fn loadTargetRow(row: u32, col: u32) -> vec4<f32> {
  let base = u.targetOffset + row * u.hiddenSize;
  let last = u.hiddenSize - 1u;
  return vec4<f32>(states[base + col], states[base + min(col + 1u, last)], states[base + min(col + 2u, last)], states[base + min(col + 3u, last)]);
}

fn storeTargetRow(row: u32, col: u32, values: vec4<f32>) {
  let index = u.targetOffset + row * u.hiddenSize + col;
  states[index] = values.x;
  if (col + 1u < u.hiddenSize) { states[index + 1u] = values.y; }
  if (col + 2u < u.hiddenSize) { states[index + 2u] = values.z; }
  if (col + 3u < u.hiddenSize) { states[index + 3u] = values.w; }
}

fn loadSavedRow(row: u32, col: u32) -> vec4<f32> {
  let base = u.savedOffset + row * u.hiddenSize;
  let last = u.hiddenSize - 1u;
  return vec4<f32>(saved[base + col], saved[base + min(col + 1u, last)], saved[base + min(col + 2u, last)], saved[base + min(col + 3u, last)]);
}
