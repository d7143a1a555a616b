// The register-tile core's word loads for matmul.wgsl (see matmul_register_tile.wgsl;
// register_word_blocks.wgsl makes its blocks of them):
// four values of opA or opB per call, indices clamped into the matrix.

// opA[row, k] for four consecutive rows (clamped to the matrix).
fn loadRowsOfA(row: u32, k: u32) -> vec4<f32> {
  let last = u.m - 1u;
  let r0 = min(row, last);
  let r1 = min(row + 1u, last);
  let r2 = min(row + 2u, last);
  let r3 = min(row + 3u, last);
  if (TRANSPOSE_A) {
    let base = u.offsetA + k * u.m;
    return vec4<f32>(a[base + r0], a[base + r1], a[base + r2], a[base + r3]);
  }
  let base = u.offsetA + k;
  return vec4<f32>(a[base + r0 * u.k], a[base + r1 * u.k], a[base + r2 * u.k], a[base + r3 * u.k]);
}

// opB[k, col .. col + 3] (clamped to the matrix).
fn loadColumnsOfB(k: u32, col: u32) -> vec4<f32> {
  let last = u.n - 1u;
  let c0 = min(col, last);
  let c1 = min(col + 1u, last);
  let c2 = min(col + 2u, last);
  let c3 = min(col + 3u, last);
  if (TRANSPOSE_B) {
    let base = u.offsetB + k;
    return vec4<f32>(b[base + c0 * u.k], b[base + c1 * u.k], b[base + c2 * u.k], b[base + c3 * u.k]);
  }
  let base = u.offsetB + k * u.n;
  return vec4<f32>(b[base + c0], b[base + c1], b[base + c2], b[base + c3]);
}
