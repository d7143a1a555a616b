// Register-tile matrix-multiply core without workgroup memory or barriers: a
// drop-in for matmul_tile.wgsl (it defines multiplyAndStoreTile, THREADS_X and
// THREADS_Y, and calls the includer's storeOutputBlock), for CPU adapters.
//
// Each invocation accumulates a (4·ROW_BLOCKS) x (4·COLUMN_BLOCKS) block of
//   acc[r, c] = Σ_k opA[r, k] · opB[k, c]
// reading opA and opB straight from the storage buffers, K_STEP (1 or 4) K
// indices at a time: per step it loads a block of opA for every 4 rows (the same
// addresses in every invocation of the workgroup) and of opB for every 4
// columns, for 16·K_STEP·ROW_BLOCKS·COLUMN_BLOCKS multiply-adds. On llvmpipe a
// workgroup of 8 invocations is one SIMD vector and every storage load inside a
// loop costs a loop over the invocations (one per load, word or vec4), so the
// multiply-adds per load decide the speed; there is nothing to synchronize.
// With the operands bound as vec4s (matmul_register_loads_vec4.wgsl, K_STEP 4)
// a 4 x 4 block is four vec4 loads whichever way the operands are stored; with
// words (register_word_blocks.wgsl, K_STEP 1) one step's 4 values are 4 loads.
//
// Layout: the workgroup owns rows rowBase .. rowBase + 4·ROW_BLOCKS − 1 (all
// its invocations share them) and columns colBase .. colBase + 32·COLUMN_BLOCKS − 1;
// invocation x holds columns colBase + 32·cb + 4·x + j of column block cb, so
// neighbouring invocations read neighbouring words of a row of B.
// Accumulator accRC (a mat4x4) holds rows 4·R + i, columns of block C, row i
// as a vec4 over j. ROW_BLOCKS is 1 to 4 and COLUMN_BLOCKS 1, 2 or 4; the guards
// on them are constant once the pipeline is built, so unused blocks cost nothing.
//
// The includer defines
//   fn storeOutputBlock(row: u32, col: u32, rows: mat4x4<f32>)
//     // its epilogue for rows row .. row + 3 (rows[i]), columns col .. col + 3; must
//     // ignore rows/cols outside (one call per 4 x 4 block, so that what a block's
//     // rows share, such as the biases of its columns, is loaded once)
//   fn loadBlockOfA(row: u32, k: u32) -> mat4x4<f32>
//     // column j < K_STEP: opA[row .. row + 3, k + j]
//   fn loadBlockOfB(k: u32, col: u32) -> mat4x4<f32>
//     // column j < K_STEP: opB[k + j, col .. col + 3]
// which clamp rows and columns outside the matrices to the last one (a valid
// load whose product storeOutputBlock then discards), so the loop has no branches;
// with K_STEP 4, kSize is a multiple of 4.

const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 1u;

override ROW_BLOCKS: u32 = 4u;
override K_STEP: u32 = 1u;
override COLUMN_BLOCKS: u32 = 4u;

// acc + a ⊗ b: row i of the block gains a[i] · b.
fn addOuterProduct(acc: mat4x4<f32>, a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(fma(vec4<f32>(a.x), b, acc[0]), fma(vec4<f32>(a.y), b, acc[1]), fma(vec4<f32>(a.z), b, acc[2]), fma(vec4<f32>(a.w), b, acc[3]));
}

// acc + Σ_{j < K_STEP} a[j] ⊗ b[j]: one step of blocks from loadBlockOfA and loadBlockOfB.
fn addBlockProduct(acc: mat4x4<f32>, a: mat4x4<f32>, b: mat4x4<f32>) -> mat4x4<f32> {
  let first = addOuterProduct(acc, a[0], b[0]);
  if (K_STEP == 1u) { return first; }
  return addOuterProduct(addOuterProduct(addOuterProduct(first, a[1], b[1]), a[2], b[2]), a[3], b[3]);
}

// TRANSPOSE_C: the includer's C is stored transposed, [n, m] (a product computed as the
// transpose of a narrow one, matmul-choice.ts transposedOutput): column j of a block is
// four consecutive words of C's row col + j, so the block is stored transposed with
// storeOutputBlock(col, row, …), whose guards and row length then take m and n the other
// way round (only the vec4 includer, matmul_register_loads_vec4.wgsl, sets it).
override TRANSPOSE_C: bool = false;

fn storeRegisterBlock(row: u32, col: u32, block: mat4x4<f32>) {
  if (TRANSPOSE_C) {
    storeOutputBlock(col, row, transpose(block));
    return;
  }
  storeOutputBlock(row, col, block);
}

fn multiplyAndStoreTile(group: vec3<u32>, local: vec3<u32>, kSize: u32) {
  let rowBase = group.y * 4u * ROW_BLOCKS;
  let col0 = group.x * 32u * COLUMN_BLOCKS + 4u * local.x;
  let col1 = col0 + 32u;
  let col2 = col0 + 64u;
  let col3 = col0 + 96u;
  var acc00 = mat4x4<f32>(); var acc01 = mat4x4<f32>(); var acc02 = mat4x4<f32>(); var acc03 = mat4x4<f32>();
  var acc10 = mat4x4<f32>(); var acc11 = mat4x4<f32>(); var acc12 = mat4x4<f32>(); var acc13 = mat4x4<f32>();
  var acc20 = mat4x4<f32>(); var acc21 = mat4x4<f32>(); var acc22 = mat4x4<f32>(); var acc23 = mat4x4<f32>();
  var acc30 = mat4x4<f32>(); var acc31 = mat4x4<f32>(); var acc32 = mat4x4<f32>(); var acc33 = mat4x4<f32>();
  for (var k = 0u; k < kSize; k += K_STEP) {
    let b0 = loadBlockOfB(k, col0);
    var b1 = mat4x4<f32>();
    var b2 = mat4x4<f32>();
    var b3 = mat4x4<f32>();
    if (COLUMN_BLOCKS > 1u) { b1 = loadBlockOfB(k, col1); }
    if (COLUMN_BLOCKS > 2u) { b2 = loadBlockOfB(k, col2); b3 = loadBlockOfB(k, col3); }
    let a0 = loadBlockOfA(rowBase, k);
    acc00 = addBlockProduct(acc00, a0, b0);
    if (COLUMN_BLOCKS > 1u) { acc01 = addBlockProduct(acc01, a0, b1); }
    if (COLUMN_BLOCKS > 2u) { acc02 = addBlockProduct(acc02, a0, b2); acc03 = addBlockProduct(acc03, a0, b3); }
    if (ROW_BLOCKS > 1u) {
      let a1 = loadBlockOfA(rowBase + 4u, k);
      acc10 = addBlockProduct(acc10, a1, b0);
      if (COLUMN_BLOCKS > 1u) { acc11 = addBlockProduct(acc11, a1, b1); }
      if (COLUMN_BLOCKS > 2u) { acc12 = addBlockProduct(acc12, a1, b2); acc13 = addBlockProduct(acc13, a1, b3); }
    }
    if (ROW_BLOCKS > 2u) {
      let a2 = loadBlockOfA(rowBase + 8u, k);
      acc20 = addBlockProduct(acc20, a2, b0);
      if (COLUMN_BLOCKS > 1u) { acc21 = addBlockProduct(acc21, a2, b1); }
      if (COLUMN_BLOCKS > 2u) { acc22 = addBlockProduct(acc22, a2, b2); acc23 = addBlockProduct(acc23, a2, b3); }
    }
    if (ROW_BLOCKS > 3u) {
      let a3 = loadBlockOfA(rowBase + 12u, k);
      acc30 = addBlockProduct(acc30, a3, b0);
      if (COLUMN_BLOCKS > 1u) { acc31 = addBlockProduct(acc31, a3, b1); }
      if (COLUMN_BLOCKS > 2u) { acc32 = addBlockProduct(acc32, a3, b2); acc33 = addBlockProduct(acc33, a3, b3); }
    }
  }
  storeRegisterBlock(rowBase, col0, acc00);
  if (COLUMN_BLOCKS > 1u) { storeRegisterBlock(rowBase, col1, acc01); }
  if (COLUMN_BLOCKS > 2u) { storeRegisterBlock(rowBase, col2, acc02); storeRegisterBlock(rowBase, col3, acc03); }
  if (ROW_BLOCKS > 1u) {
    storeRegisterBlock(rowBase + 4u, col0, acc10);
    if (COLUMN_BLOCKS > 1u) { storeRegisterBlock(rowBase + 4u, col1, acc11); }
    if (COLUMN_BLOCKS > 2u) { storeRegisterBlock(rowBase + 4u, col2, acc12); storeRegisterBlock(rowBase + 4u, col3, acc13); }
  }
  if (ROW_BLOCKS > 2u) {
    storeRegisterBlock(rowBase + 8u, col0, acc20);
    if (COLUMN_BLOCKS > 1u) { storeRegisterBlock(rowBase + 8u, col1, acc21); }
    if (COLUMN_BLOCKS > 2u) { storeRegisterBlock(rowBase + 8u, col2, acc22); storeRegisterBlock(rowBase + 8u, col3, acc23); }
  }
  if (ROW_BLOCKS > 3u) {
    storeRegisterBlock(rowBase + 12u, col0, acc30);
    if (COLUMN_BLOCKS > 1u) { storeRegisterBlock(rowBase + 12u, col1, acc31); }
    if (COLUMN_BLOCKS > 2u) { storeRegisterBlock(rowBase + 12u, col2, acc32); storeRegisterBlock(rowBase + 12u, col3, acc33); }
  }
}
