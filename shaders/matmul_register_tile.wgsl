// Register-tile matrix-multiply core without workgroup memory or barriers: a
// drop-in for matmul_tile.wgsl (it defines multiplyAndStoreTile, THREADS_X and
// THREADS_Y, and calls the includer's storeOutput), for CPU adapters.
//
// Each invocation accumulates a (4·ROW_BLOCKS) x (4·COLUMN_BLOCKS) block of
//   acc[r, c] = Σ_k opA[r, k] · opB[k, c]
// reading opA and opB straight from the storage buffers, one K index at a time:
// per k it loads 4·ROW_BLOCKS values of opA (the same addresses in every
// invocation of the workgroup) and 4·COLUMN_BLOCKS of opB, for
// 16·ROW_BLOCKS·COLUMN_BLOCKS multiply-adds. On llvmpipe a workgroup of 8
// invocations is one SIMD vector and every storage load inside a loop costs a
// scalar load per invocation, so the multiply-adds per loaded value (the block
// size) decide the speed; there is nothing to synchronize.
//
// Layout: the workgroup owns rows rowBase .. rowBase + 4·ROW_BLOCKS − 1 (all
// its invocations share them) and columns colBase .. colBase + 32·COLUMN_BLOCKS − 1;
// invocation x holds columns colBase + 32·cb + 4·x + j of column block cb, so
// neighbouring invocations read neighbouring words of a row of B.
// Accumulator accRC (a mat4x4) holds rows 4·R + i, columns of block C, row i
// as a vec4 over j. ROW_BLOCKS and COLUMN_BLOCKS are 1, 2 or 4; the guards on
// them are constant once the pipeline is built, so unused blocks cost nothing.
//
// The includer defines (besides storeOutput, as for matmul_tile.wgsl)
//   fn loadRowsOfA(row: u32, k: u32) -> vec4<f32>      // opA[row .. row + 3, k]
//   fn loadColumnsOfB(k: u32, col: u32) -> vec4<f32>   // opB[k, col .. col + 3]
// which clamp indices outside the matrices to the last row or column (a valid
// load whose product storeOutput then discards), so the loop has no branches.

const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 1u;

override ROW_BLOCKS: u32 = 4u;
override COLUMN_BLOCKS: u32 = 4u;

// acc + a ⊗ b: row i of the block gains a[i] · b.
fn addOuterProduct(acc: mat4x4<f32>, a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(fma(vec4<f32>(a.x), b, acc[0]), fma(vec4<f32>(a.y), b, acc[1]), fma(vec4<f32>(a.z), b, acc[2]), fma(vec4<f32>(a.w), b, acc[3]));
}

fn storeRegisterBlock(row: u32, col: u32, block: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    let products = block[i];
    storeOutput(row + i, col, products.x);
    storeOutput(row + i, col + 1u, products.y);
    storeOutput(row + i, col + 2u, products.z);
    storeOutput(row + i, col + 3u, products.w);
  }
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
  for (var k = 0u; k < kSize; k++) {
    let b0 = loadColumnsOfB(k, col0);
    var b1 = vec4<f32>();
    var b2 = vec4<f32>();
    var b3 = vec4<f32>();
    if (COLUMN_BLOCKS > 1u) { b1 = loadColumnsOfB(k, col1); }
    if (COLUMN_BLOCKS > 2u) { b2 = loadColumnsOfB(k, col2); b3 = loadColumnsOfB(k, col3); }
    let a0 = loadRowsOfA(rowBase, k);
    acc00 = addOuterProduct(acc00, a0, b0);
    if (COLUMN_BLOCKS > 1u) { acc01 = addOuterProduct(acc01, a0, b1); }
    if (COLUMN_BLOCKS > 2u) { acc02 = addOuterProduct(acc02, a0, b2); acc03 = addOuterProduct(acc03, a0, b3); }
    if (ROW_BLOCKS > 1u) {
      let a1 = loadRowsOfA(rowBase + 4u, k);
      acc10 = addOuterProduct(acc10, a1, b0);
      if (COLUMN_BLOCKS > 1u) { acc11 = addOuterProduct(acc11, a1, b1); }
      if (COLUMN_BLOCKS > 2u) { acc12 = addOuterProduct(acc12, a1, b2); acc13 = addOuterProduct(acc13, a1, b3); }
    }
    if (ROW_BLOCKS > 2u) {
      let a2 = loadRowsOfA(rowBase + 8u, k);
      let a3 = loadRowsOfA(rowBase + 12u, k);
      acc20 = addOuterProduct(acc20, a2, b0);
      acc30 = addOuterProduct(acc30, a3, b0);
      if (COLUMN_BLOCKS > 1u) { acc21 = addOuterProduct(acc21, a2, b1); acc31 = addOuterProduct(acc31, a3, b1); }
      if (COLUMN_BLOCKS > 2u) {
        acc22 = addOuterProduct(acc22, a2, b2); acc23 = addOuterProduct(acc23, a2, b3);
        acc32 = addOuterProduct(acc32, a3, b2); acc33 = addOuterProduct(acc33, a3, b3);
      }
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
    storeRegisterBlock(rowBase + 12u, col0, acc30);
    if (COLUMN_BLOCKS > 1u) { storeRegisterBlock(rowBase + 8u, col1, acc21); storeRegisterBlock(rowBase + 12u, col1, acc31); }
    if (COLUMN_BLOCKS > 2u) {
      storeRegisterBlock(rowBase + 8u, col2, acc22); storeRegisterBlock(rowBase + 8u, col3, acc23);
      storeRegisterBlock(rowBase + 12u, col2, acc32); storeRegisterBlock(rowBase + 12u, col3, acc33);
    }
  }
}
