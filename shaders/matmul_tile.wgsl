// Tiled matrix-multiply core, shared by matmul.wgsl and rnn_step.wgsl.
//
// Computes a 32 x 32 block of  acc[r, c] = Σ_k opA[r, k] · opB[k, c]  per
// workgroup: each 16-deep K-slice of A and B is loaded once into workgroup
// memory, and each of the 8 x 8 invocations accumulates a 4 x 4 register tile.
// The register tile is a mat4x4 (acc[i] = row i, a vec4 over 4 columns) and the
// workgroup tiles hold vec4s, so the inner loop is four vector FMAs with
// constant indices: no private arrays indexed at run time, which CPU
// WebGPU implementations (SwiftShader) would otherwise keep in memory.
//
// The including kernel defines
//   fn loadA(row: u32, k: u32) -> f32                  // opA[row, k], 0 outside the matrix
//   fn loadB(k: u32, col: u32) -> f32                  // opB[k, col], 0 outside the matrix
//   fn storeOutput(row: u32, col: u32, product: f32)   // its epilogue; must ignore rows/cols outside
// and sets A_K_CONTIGUOUS / B_N_CONTIGUOUS to say which index walks memory
// contiguously, so that neighbouring invocations load neighbouring words.
//
// 8 x 8 = 64 invocations per workgroup: within every device's limits, the
// compatibility level's 128 included.

const TILE_M: u32 = 32u;
const TILE_N: u32 = 32u;
const TILE_K: u32 = 16u;
const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 8u;
const THREADS: u32 = THREADS_X * THREADS_Y;

override A_K_CONTIGUOUS: bool = true;
override B_N_CONTIGUOUS: bool = true;

// tileA[k * 8 + r4] holds rows 4·r4 .. 4·r4+3 of column k of the A slice;
// tileB[k * 8 + c4] holds columns 4·c4 .. 4·c4+3 of row k of the B slice.
var<workgroup> tileA: array<vec4<f32>, TILE_K * TILE_M / 4u>;
var<workgroup> tileB: array<vec4<f32>, TILE_K * TILE_N / 4u>;

fn multiplyTiles(rowBase: u32, colBase: u32, kSize: u32, local: vec3<u32>) -> mat4x4<f32> {
  var acc = mat4x4<f32>();
  let thread = local.y * THREADS_X + local.x;
  for (var k0 = 0u; k0 < kSize; k0 += TILE_K) {
    for (var i = 0u; i < (TILE_K * TILE_M) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var rr: u32;
      if (A_K_CONTIGUOUS) { kk = e % TILE_K; rr = e / TILE_K; } else { rr = e % TILE_M; kk = e / TILE_M; }
      tileA[kk * (TILE_M / 4u) + rr / 4u][rr % 4u] = loadA(rowBase + rr, k0 + kk);
    }
    for (var i = 0u; i < (TILE_K * TILE_N) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var cc: u32;
      if (B_N_CONTIGUOUS) { cc = e % TILE_N; kk = e / TILE_N; } else { kk = e % TILE_K; cc = e / TILE_K; }
      tileB[kk * (TILE_N / 4u) + cc / 4u][cc % 4u] = loadB(k0 + kk, colBase + cc);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let a = tileA[kk * (TILE_M / 4u) + local.y];
      let b = tileB[kk * (TILE_N / 4u) + local.x];
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  return acc;
}

// Multiplies this workgroup's 32 x 32 block and hands each of this invocation's
// 4 x 4 products (rows rowBase + 4·local.y + i, columns colBase + 4·local.x + j)
// to the includer's storeOutput.
fn multiplyAndStoreTile(group: vec3<u32>, local: vec3<u32>, kSize: u32) {
  let rowBase = group.y * TILE_M;
  let colBase = group.x * TILE_N;
  let acc = multiplyTiles(rowBase, colBase, kSize, local);
  let row = rowBase + local.y * 4u;
  let col = colBase + local.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    let products = acc[i];
    storeOutput(row + i, col, products.x);
    storeOutput(row + i, col + 1u, products.y);
    storeOutput(row + i, col + 2u, products.z);
    storeOutput(row + i, col + 3u, products.w);
  }
}
