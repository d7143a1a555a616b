// The register-tile core's loads for rnn_step.wgsl (see matmul_register_tile.wgsl)
// with every buffer bound as vec4s (K_STEP 4): each 4 x 4 block is four vec4 loads
// where rnn_step_register_loads.wgsl makes four word loads per K step, and the
// epilogue reads and writes four columns of a row as one vec4. For steps whose H
// and element offsets (W_hh, the source, target and saved slots) are multiples of 4,
// so that four columns are all inside the matrix or all outside. Rows and columns
// past the matrix are clamped to its last ones (storeOutputRow discards them).

@group(0) @binding(0) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> saved: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> states: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: StepUniforms;

// Column j: opA[row .. row + 3, k + j], opA the source slot [batch, H]: steps k .. k + 3
// of row row + i are one vec4; the block is their transpose.
fn loadBlockOfA(row: u32, k: u32) -> mat4x4<f32> {
  let last = u.batch - 1u;
  let base = (u.sourceOffset + k) / 4u;
  let rowLength = u.hiddenSize / 4u;
  return transpose(mat4x4<f32>(
    states[base + min(row, last) * rowLength],
    states[base + min(row + 1u, last) * rowLength],
    states[base + min(row + 2u, last) * rowLength],
    states[base + min(row + 3u, last) * rowLength],
  ));
}

// Column j: opB[k + j, col .. col + 3].
fn loadBlockOfB(k: u32, col: u32) -> mat4x4<f32> {
  let rowLength = u.hiddenSize / 4u;
  if (TRANSPOSE_B) {
    // Forward, W_hh stored [n, k]: steps k .. k + 3 of column col + i are one vec4; the block is their transpose.
    let last = u.hiddenSize - 1u;
    let base = (u.weightOffset + k) / 4u;
    return transpose(mat4x4<f32>(
      weights[base + min(col, last) * rowLength],
      weights[base + min(col + 1u, last) * rowLength],
      weights[base + min(col + 2u, last) * rowLength],
      weights[base + min(col + 3u, last) * rowLength],
    ));
  }
  // Backward, W_hh stored [k, n]: columns col .. col + 3 of step k + j are one vec4.
  let base = (u.weightOffset + k * u.hiddenSize + min(col, u.hiddenSize - 4u)) / 4u;
  return mat4x4<f32>(weights[base], weights[base + rowLength], weights[base + 2u * rowLength], weights[base + 3u * rowLength]);
}

fn loadTargetRow(row: u32, col: u32) -> vec4<f32> {
  return states[(u.targetOffset + row * u.hiddenSize + col) / 4u];
}

fn storeTargetRow(row: u32, col: u32, values: vec4<f32>) {
  states[(u.targetOffset + row * u.hiddenSize + col) / 4u] = values;
}

fn loadSavedRow(row: u32, col: u32) -> vec4<f32> {
  return saved[(u.savedOffset + row * u.hiddenSize + col) / 4u];
}
