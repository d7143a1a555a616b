// The register-tile core's loads and epilogue for matmul.wgsl (see
// matmul_register_tile.wgsl) with every buffer read as vec4s (K_STEP 4): each
// 4 x 4 block is four vec4 loads where matmul_register_loads.wgsl makes sixteen
// word loads, and each 4 columns of a row of C one vec4 load and store where
// storeOutput makes four of each. For products whose element offsets (A, B, C,
// biases), K, n and the row length of every operand read along its rows are
// multiples of 4 (matmul-choice.ts, vec4Operands): A stored [m, k] (k) or [k, m]
// (m), B stored [k, n] (n) or [n, k] (k). Rows and columns past the matrix are
// clamped to its last ones (the products are discarded by storeOutputBlock).
// The includer defines where the operands come from (vec4 index i of the
// buffer, or of the packed copy starting at the operand) and how B is laid out:
//   fn operandA(i: u32) -> vec4<f32>, fn operandB(i: u32) -> vec4<f32>
//   const PACKED_B: bool // B in column panels (operand_panels.wgsl), not stored [k, n] or [n, k]
//   fn priorOutput(index: u32) -> vec4<f32> // C's vec4 `index` before this dispatch (accumulating)
// matmul_vec4_buffers.wgsl reads storage buffers, matmul_texture_operands.wgsl
// textures.

@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

// Column j: opA[row .. row + 3, k + j].
fn loadBlockOfA(row: u32, k: u32) -> mat4x4<f32> {
  if (TRANSPOSE_A) {
    // A stored [k, m]: rows row .. row + 3 of step k + j are one vec4 (m is a multiple of 4).
    let base = (u.offsetA + k * u.m + min(row, u.m - 4u)) / 4u;
    let step = u.m / 4u;
    return mat4x4<f32>(operandA(base), operandA(base + step), operandA(base + 2u * step), operandA(base + 3u * step));
  }
  // A stored [m, k]: steps k .. k + 3 of row row + i are one vec4; the block is their transpose.
  let last = u.m - 1u;
  let base = (u.offsetA + k) / 4u;
  let rowLength = u.k / 4u;
  return transpose(mat4x4<f32>(
    operandA(base + min(row, last) * rowLength),
    operandA(base + min(row + 1u, last) * rowLength),
    operandA(base + min(row + 2u, last) * rowLength),
    operandA(base + min(row + 3u, last) * rowLength),
  ));
}

// Column j: opB[k + j, col .. col + 3].
fn loadBlockOfB(k: u32, col: u32) -> mat4x4<f32> {
  if (PACKED_B) {
    // opB in column panels as wide as the workgroup's tile (operand_panels.wgsl, P = 32·COLUMN_BLOCKS):
    // step k + j of columns col .. col + 3 is texel (col / P)·K·(P/4) + (k + j)·(P/4) + (col mod P)/4.
    // The last panel is padded with zeros, so no clamp.
    let panelWidth = 32u * COLUMN_BLOCKS;
    let quads = 8u * COLUMN_BLOCKS;
    let base = (col / panelWidth) * u.k * quads + k * quads + (col % panelWidth) / 4u;
    return mat4x4<f32>(operandB(base), operandB(base + quads), operandB(base + 2u * quads), operandB(base + 3u * quads));
  }
  if (TRANSPOSE_B) {
    // B stored [n, k]: steps k .. k + 3 of column col + i are one vec4; the block is their transpose.
    let last = u.n - 1u;
    let base = (u.offsetB + k) / 4u;
    let rowLength = u.k / 4u;
    return transpose(mat4x4<f32>(
      operandB(base + min(col, last) * rowLength),
      operandB(base + min(col + 1u, last) * rowLength),
      operandB(base + min(col + 2u, last) * rowLength),
      operandB(base + min(col + 3u, last) * rowLength),
    ));
  }
  // B stored [k, n]: columns col .. col + 3 of step k + j are one vec4 (n is a multiple of 4).
  let base = (u.offsetB + k * u.n + min(col, u.n - 4u)) / 4u;
  let step = u.n / 4u;
  return mat4x4<f32>(operandB(base), operandB(base + step), operandB(base + 2u * step), operandB(base + 3u * step));
}

// C[row + i, col .. col + 3] (=|+=) rows[i] + bias0[col ..] + bias1[col ..], i = 0 .. 3 (n is a
// multiple of 4, so the four columns are all inside the matrix or all outside). With TRANSPOSE_C
// (matmul_register_tile.wgsl) C is stored [n, m]: the core passes its rows as `col` and its
// columns as `row`, and the guards and the row length swap m and n (m a multiple of 4).
// The block's four rows share their columns' biases, loaded once: on llvmpipe a storage load
// under a condition costs nearly as much when the condition is false as when it holds.
// C's earlier values, when accumulating, come from the includer's
//   fn priorOutput(index: u32) -> vec4<f32>   // c[index] as it was before this dispatch
fn storeOutputBlock(row: u32, col: u32, rows: mat4x4<f32>) {
  let cols = select(u.n, u.m, TRANSPOSE_C);
  if (col >= cols) { return; }
  var bias0 = vec4<f32>();
  var bias1 = vec4<f32>();
  if (u.biasOffset0 != NO_BIAS) { bias0 = bias[(u.biasOffset0 + col) / 4u]; }
  if (u.biasOffset1 != NO_BIAS) { bias1 = bias[(u.biasOffset1 + col) / 4u]; }
  storeOutputRow(row, col, cols, rows[0], bias0, bias1);
  storeOutputRow(row + 1u, col, cols, rows[1], bias0, bias1);
  storeOutputRow(row + 2u, col, cols, rows[2], bias0, bias1);
  storeOutputRow(row + 3u, col, cols, rows[3], bias0, bias1);
}

// C[row, col .. col + 3] (=|+=) products + bias0 + bias1 (the biases added only where given,
// in that order); C's rows are `cols` long.
fn storeOutputRow(row: u32, col: u32, cols: u32, products: vec4<f32>, bias0: vec4<f32>, bias1: vec4<f32>) {
  if (row >= select(u.m, u.n, TRANSPOSE_C)) { return; }
  var value = products;
  if (u.biasOffset0 != NO_BIAS) { value += bias0; }
  if (u.biasOffset1 != NO_BIAS) { value += bias1; }
  let index = (u.offsetC + row * cols + col) / 4u;
  if (u.accumulate != 0u) { value += priorOutput(index); }
  c[index] = value;
}
