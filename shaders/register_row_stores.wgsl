// The register-tile core's block epilogue (matmul_register_tile.wgsl) for includers
// that store four columns of one row at a time, with
//   fn storeOutputRow(row: u32, col: u32, products: vec4<f32>)
// (register_word_blocks.wgsl, rnn_step.wgsl): rows row .. row + 3 of a block, one by one.

fn storeOutputBlock(row: u32, col: u32, rows: mat4x4<f32>) {
  storeOutputRow(row, col, rows[0]);
  storeOutputRow(row + 1u, col, rows[1]);
  storeOutputRow(row + 2u, col, rows[2]);
  storeOutputRow(row + 3u, col, rows[3]);
}
