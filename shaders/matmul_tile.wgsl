// Tiled matrix-multiply core, shared by matmul.wgsl and rnn_step.wgsl.
//
// Computes a TILE_M x TILE_N block of  acc[r, c] = sum_k opA[r, k] * opB[k, c]
// through workgroup memory: each K-slice of A and B is loaded once per workgroup
// and each invocation keeps a ROWS_PER_THREAD x COLS_PER_THREAD register tile.
//
// The including kernel defines
//   fn loadA(row: u32, k: u32) -> f32   // opA[row, k], 0 outside the matrix
//   fn loadB(k: u32, col: u32) -> f32   // opB[k, col], 0 outside the matrix
// and the override A_K_CONTIGUOUS / B_N_CONTIGUOUS saying which index walks
// memory contiguously, so that neighbouring invocations load neighbouring words.
//
// 8 x 8 = 64 invocations per workgroup: within every device's limits, the
// compatibility level's 128 included.

const TILE_M: u32 = 32u;
const TILE_N: u32 = 32u;
const TILE_K: u32 = 16u;
const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 8u;
const THREADS: u32 = THREADS_X * THREADS_Y;
const ROWS_PER_THREAD: u32 = TILE_M / THREADS_Y;
const COLS_PER_THREAD: u32 = TILE_N / THREADS_X;

override A_K_CONTIGUOUS: bool = true;
override B_N_CONTIGUOUS: bool = true;

var<workgroup> tileA: array<f32, TILE_K * TILE_M>; // [k][row]
var<workgroup> tileB: array<f32, TILE_K * TILE_N>; // [k][col]

fn multiplyTiles(rowBase: u32, colBase: u32, kSize: u32, local: vec3<u32>) -> array<f32, ROWS_PER_THREAD * COLS_PER_THREAD> {
  var acc: array<f32, ROWS_PER_THREAD * COLS_PER_THREAD>;
  let thread = local.y * THREADS_X + local.x;
  for (var k0 = 0u; k0 < kSize; k0 += TILE_K) {
    for (var i = 0u; i < (TILE_K * TILE_M) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var rr: u32;
      if (A_K_CONTIGUOUS) { kk = e % TILE_K; rr = e / TILE_K; } else { rr = e % TILE_M; kk = e / TILE_M; }
      tileA[kk * TILE_M + rr] = loadA(rowBase + rr, k0 + kk);
    }
    for (var i = 0u; i < (TILE_K * TILE_N) / THREADS; i++) {
      let e = thread + i * THREADS;
      var kk: u32;
      var cc: u32;
      if (B_N_CONTIGUOUS) { cc = e % TILE_N; kk = e / TILE_N; } else { kk = e % TILE_K; cc = e / TILE_K; }
      tileB[kk * TILE_N + cc] = loadB(k0 + kk, colBase + cc);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var a: array<f32, ROWS_PER_THREAD>;
      var b: array<f32, COLS_PER_THREAD>;
      for (var i = 0u; i < ROWS_PER_THREAD; i++) { a[i] = tileA[kk * TILE_M + local.y * ROWS_PER_THREAD + i]; }
      for (var j = 0u; j < COLS_PER_THREAD; j++) { b[j] = tileB[kk * TILE_N + local.x * COLS_PER_THREAD + j]; }
      for (var i = 0u; i < ROWS_PER_THREAD; i++) {
        for (var j = 0u; j < COLS_PER_THREAD; j++) {
          acc[i * COLS_PER_THREAD + j] = fma(a[i], b[j], acc[i * COLS_PER_THREAD + j]);
        }
      }
    }
    workgroupBarrier();
  }
  return acc;
}
