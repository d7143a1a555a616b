// One-K-step blocks (K_STEP 1) for the register-tile core (matmul_register_tile.wgsl)
// from the includer's word loads
//   fn loadRowsOfA(row: u32, k: u32) -> vec4<f32>      // opA[row .. row + 3, k]
//   fn loadColumnsOfB(k: u32, col: u32) -> vec4<f32>   // opB[k, col .. col + 3]
// in column 0 (the core reads no other column), and the row stores of the core's block
// epilogue (register_row_stores.wgsl) from the includer's per-element storeOutput(row, col, product).

fn loadBlockOfA(row: u32, k: u32) -> mat4x4<f32> {
  return mat4x4<f32>(loadRowsOfA(row, k), vec4<f32>(), vec4<f32>(), vec4<f32>());
}

fn loadBlockOfB(k: u32, col: u32) -> mat4x4<f32> {
  return mat4x4<f32>(loadColumnsOfB(k, col), vec4<f32>(), vec4<f32>(), vec4<f32>());
}

fn storeOutputRow(row: u32, col: u32, products: vec4<f32>) {
  storeOutput(row, col, products.x);
  storeOutput(row, col + 1u, products.y);
  storeOutput(row, col + 2u, products.z);
  storeOutput(row, col + 3u, products.w);
}
