// matmul.wgsl's operands as words, and their loads for the workgroup-memory cores
// (matmul_tile.wgsl, matmul_tile_large.wgsl) and the register-tile core's word
// loads (matmul_register_loads.wgsl).

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;

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
