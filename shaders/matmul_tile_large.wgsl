// Large-tile matrix-multiply core: a drop-in for matmul_tile.wgsl (the same
// functions and includer contract) for products with many rows and columns.
//
// Computes a 64 x 64 block of  acc[r, c] = Σ_k opA[r, k] · opB[k, c]  per
// workgroup: each 16-deep K-slice of A and B is loaded once into workgroup
// memory, and each of the 8 x 8 invocations accumulates an 8 x 8 register
// tile, held as four mat4x4 (rows 4·y + i and 32 + 4·y + i, columns 4·x + j and
// 32 + 4·x + j). Per K-step an invocation reads four vec4s from workgroup
// memory for sixteen vector FMAs — twice the work per load of the 32 x 32
// core, which is what load-bound CPU adapters need. All indices into the
// accumulators are constants (see matmul_tile.wgsl on SwiftShader).
//
// The including kernel defines loadA, loadB and storeOutput and sets
// A_K_CONTIGUOUS / B_N_CONTIGUOUS exactly as for matmul_tile.wgsl.
//
// Workgroup memory: 2 × 16 × 64 × 4 bytes = 8 KB (the minimum limit is 16 KB);
// 8 x 8 = 64 invocations, within the compatibility level's 128.

const TILE_M: u32 = 64u;
const TILE_N: u32 = 64u;
const TILE_K: u32 = 16u;
const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 8u;
const THREADS: u32 = THREADS_X * THREADS_Y;

override A_K_CONTIGUOUS: bool = true;
override B_N_CONTIGUOUS: bool = true;

// tileA[k * 16 + r4] holds rows 4·r4 .. 4·r4+3 of column k of the A slice;
// tileB[k * 16 + c4] holds columns 4·c4 .. 4·c4+3 of row k of the B slice.
var<workgroup> tileA: array<vec4<f32>, TILE_K * TILE_M / 4u>;
var<workgroup> tileB: array<vec4<f32>, TILE_K * TILE_N / 4u>;

struct Accumulators {
  top: mat4x4<f32>,         // rows 4·y + i,      columns 4·x + j
  topRight: mat4x4<f32>,    // rows 4·y + i,      columns 32 + 4·x + j
  bottom: mat4x4<f32>,      // rows 32 + 4·y + i, columns 4·x + j
  bottomRight: mat4x4<f32>, // rows 32 + 4·y + i, columns 32 + 4·x + j
}

fn multiplyTiles(rowBase: u32, colBase: u32, kSize: u32, local: vec3<u32>) -> Accumulators {
  var acc00 = mat4x4<f32>();
  var acc01 = mat4x4<f32>();
  var acc10 = mat4x4<f32>();
  var acc11 = mat4x4<f32>();
  let thread = local.y * THREADS_X + local.x;
  for (var k0 = 0u; k0 < kSize; k0 += TILE_K) {
    // Each invocation fills four vec4s of each tile, four scalar loads apiece;
    // neighbouring invocations walk the contiguous index of the stored matrix.
    for (var i = 0u; i < (TILE_K * TILE_M / 4u) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var r4: u32;
      if (A_K_CONTIGUOUS) { kk = e % TILE_K; r4 = e / TILE_K; } else { r4 = e % (TILE_M / 4u); kk = e / (TILE_M / 4u); }
      let row = rowBase + 4u * r4;
      let k = k0 + kk;
      tileA[kk * (TILE_M / 4u) + r4] = vec4<f32>(loadA(row, k), loadA(row + 1u, k), loadA(row + 2u, k), loadA(row + 3u, k));
    }
    for (var i = 0u; i < (TILE_K * TILE_N / 4u) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var c4: u32;
      if (B_N_CONTIGUOUS) { c4 = e % (TILE_N / 4u); kk = e / (TILE_N / 4u); } else { kk = e % TILE_K; c4 = e / TILE_K; }
      let col = colBase + 4u * c4;
      let k = k0 + kk;
      tileB[kk * (TILE_N / 4u) + c4] = vec4<f32>(loadB(k, col), loadB(k, col + 1u), loadB(k, col + 2u), loadB(k, col + 3u));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let a0 = tileA[kk * (TILE_M / 4u) + local.y];
      let a1 = tileA[kk * (TILE_M / 4u) + 8u + local.y];
      let b0 = tileB[kk * (TILE_N / 4u) + local.x];
      let b1 = tileB[kk * (TILE_N / 4u) + 8u + local.x];
      acc00[0] = fma(vec4<f32>(a0.x), b0, acc00[0]);
      acc00[1] = fma(vec4<f32>(a0.y), b0, acc00[1]);
      acc00[2] = fma(vec4<f32>(a0.z), b0, acc00[2]);
      acc00[3] = fma(vec4<f32>(a0.w), b0, acc00[3]);
      acc01[0] = fma(vec4<f32>(a0.x), b1, acc01[0]);
      acc01[1] = fma(vec4<f32>(a0.y), b1, acc01[1]);
      acc01[2] = fma(vec4<f32>(a0.z), b1, acc01[2]);
      acc01[3] = fma(vec4<f32>(a0.w), b1, acc01[3]);
      acc10[0] = fma(vec4<f32>(a1.x), b0, acc10[0]);
      acc10[1] = fma(vec4<f32>(a1.y), b0, acc10[1]);
      acc10[2] = fma(vec4<f32>(a1.z), b0, acc10[2]);
      acc10[3] = fma(vec4<f32>(a1.w), b0, acc10[3]);
      acc11[0] = fma(vec4<f32>(a1.x), b1, acc11[0]);
      acc11[1] = fma(vec4<f32>(a1.y), b1, acc11[1]);
      acc11[2] = fma(vec4<f32>(a1.z), b1, acc11[2]);
      acc11[3] = fma(vec4<f32>(a1.w), b1, acc11[3]);
    }
    workgroupBarrier();
  }
  return Accumulators(acc00, acc01, acc10, acc11);
}

fn storeBlock(row: u32, col: u32, block: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    let products = block[i];
    storeOutput(row + i, col, products.x);
    storeOutput(row + i, col + 1u, products.y);
    storeOutput(row + i, col + 2u, products.z);
    storeOutput(row + i, col + 3u, products.w);
  }
}

// Multiplies this workgroup's 64 x 64 block and hands each of this invocation's
// 8 x 8 products to the includer's storeOutput.
fn multiplyAndStoreTile(group: vec3<u32>, local: vec3<u32>, kSize: u32) {
  let rowBase = group.y * TILE_M;
  let colBase = group.x * TILE_N;
  let acc = multiplyTiles(rowBase, colBase, kSize, local);
  let row = rowBase + local.y * 4u;
  let col = colBase + local.x * 4u;
  storeBlock(row, col, acc.top);
  storeBlock(row, col + 32u, acc.topRight);
  storeBlock(row + 32u, col, acc.bottom);
  storeBlock(row + 32u, col + 32u, acc.bottomRight);
}
