// matmul.wgsl's buffers as words: the operands' loads for the workgroup-memory cores
// (matmul_tile.wgsl, matmul_tile_large.wgsl) and the register-tile core's word
// loads (matmul_register_loads.wgsl), and the epilogue, one element at a time.

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn loadA(row: u32, k: u32) -> f32 {
  if (row >= u.m || k >= u.k) { return 0.0; }
  if (TRANSPOSE_A) { return a[u.offsetA + k * u.m + row]; }
  return a[u.offsetA + row * u.k + k];
}

fn loadB(k: u32, col: u32) -> f32 {
  if (k >= u.k || col >= u.n) { return 0.0; }
  if (TRANSPOSE_B) { return b[u.offsetB + col * u.k + k]; }
  return b[u.offsetB + k * u.n + col];
}

// C[row, col] (=|+=) product + bias0[col] + bias1[col]; nothing outside the matrix.
fn storeOutput(row: u32, col: u32, product: f32) {
  if (row >= u.m || col >= u.n) { return; }
  var value = product;
  if (u.biasOffset0 != NO_BIAS) { value += bias[u.biasOffset0 + col]; }
  if (u.biasOffset1 != NO_BIAS) { value += bias[u.biasOffset1 + col]; }
  let index = u.offsetC + row * u.n + col;
  if (u.accumulate != 0u) { value += c[index]; }
  c[index] = value;
}
