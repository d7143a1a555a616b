// The register-tile core's word loads for rnn_step.wgsl (see matmul_register_tile.wgsl;
// register_word_blocks.wgsl makes its blocks of them):
// opA is the source state slot [batch, hidden], opB is W_hhᵀ (forward) or W_hh
// (backward) [hidden, hidden]; indices clamped into the matrices.

fn loadRowsOfA(row: u32, k: u32) -> vec4<f32> {
  let last = u.batch - 1u;
  let base = u.sourceOffset + k;
  return vec4<f32>(
    states[base + min(row, last) * u.hiddenSize],
    states[base + min(row + 1u, last) * u.hiddenSize],
    states[base + min(row + 2u, last) * u.hiddenSize],
    states[base + min(row + 3u, last) * u.hiddenSize],
  );
}

fn loadColumnsOfB(k: u32, col: u32) -> vec4<f32> {
  let last = u.hiddenSize - 1u;
  let c0 = min(col, last);
  let c1 = min(col + 1u, last);
  let c2 = min(col + 2u, last);
  let c3 = min(col + 3u, last);
  if (TRANSPOSE_B) {
    let base = u.weightOffset + k;
    return vec4<f32>(weights[base + c0 * u.hiddenSize], weights[base + c1 * u.hiddenSize], weights[base + c2 * u.hiddenSize], weights[base + c3 * u.hiddenSize]);
  }
  let base = u.weightOffset + k * u.hiddenSize;
  return vec4<f32>(weights[base + c0], weights[base + c1], weights[base + c2], weights[base + c3]);
}
