// embeddingBackwardGrouped (embedding_backward.wgsl) for four hidden units per invocation,
// with dA bound as vec4s: per row of a token's group one index load and one vec4 load of dA
// for four sums, where embeddingBackwardGrouped makes an index load per sum; and
// embeddingBackwardGroupedVec4Runs for QUADS_PER_INVOCATION runs of four units per
// invocation, QUADS_PER_INVOCATION vec4 loads per index load (llvmpipe, wide layers). For a
// width (rows of W_ih) and dA offset that are multiples of 4, and a width / 4 that
// QUADS_PER_INVOCATION divides (kernel-choice.ts embeddingGradientKeys); the same sums in the
// same order, the bias gradient's too (biasOffset0, biasOffset1). Two entry points, not one
// with QUADS_PER_INVOCATION 1: SwiftShader keeps a private array indexed in a loop over an
// override in memory, and its walk ran 2.3x slower so.

// (EmbeddingUniforms, WORKGROUP_SIZE: embedding_uniforms.wgsl, which comes first.)

// Runs of four units each invocation of embeddingBackwardGroupedVec4Runs owns: 2, 4 or 8 (their sums live in registers).
override QUADS_PER_INVOCATION: u32 = 2u;
const MOST_QUADS_PER_INVOCATION = 8u;

@group(0) @binding(1) var<storage, read_write> grouped: array<u32>;
@group(0) @binding(2) var<storage, read> dPreactivations: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> gradients: array<f32>;
@group(0) @binding(4) var<uniform> u: EmbeddingUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingBackwardGroupedVec4(@builtin(global_invocation_id) id: vec3<u32>) {
  let quad = id.x;
  let quadsPerRow = u.width / 4u;
  if (quad >= quadsPerRow) { return; }
  let starts = u.rows;
  // dW_ih[j + i, v] is word rowStart + i·V + v; Σ_tb dA[tb, j + i] is total[i].
  let rowStart = u.weightOffset + 4u * quad * u.vocabulary;
  let V = u.vocabulary;
  var total = vec4<f32>();
  for (var v = 0u; v < V; v++) {
    let first = grouped[starts + v];
    let end = grouped[starts + v + 1u];
    if (first == end) { continue; }
    var sum = loadColumnQuad(rowStart + v, V);
    for (var i = first; i < end; i++) {
      let d = dPreactivations[u.outputOffset / 4u + grouped[i] * quadsPerRow + quad];
      sum += d;
      total += d;
    }
    storeColumnQuad(rowStart + v, V, sum);
  }
  if (u.biasOffset0 != NO_BIAS) { addQuad(u.biasOffset0 + 4u * quad, total); }
  if (u.biasOffset1 != NO_BIAS) { addQuad(u.biasOffset1 + 4u * quad, total); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingBackwardGroupedVec4Runs(@builtin(global_invocation_id) id: vec3<u32>) {
  let quadsPerRow = u.width / 4u;
  let firstQuad = id.x * QUADS_PER_INVOCATION;
  if (firstQuad >= quadsPerRow) { return; }
  let starts = u.rows;
  let V = u.vocabulary;
  // dW_ih[4q + c, v] is word 4q·V + c·V + v after weightOffset; Σ_tb dA[tb, 4q + c] is total[q − firstQuad][c].
  var total: array<vec4<f32>, MOST_QUADS_PER_INVOCATION>;
  for (var v = 0u; v < V; v++) {
    let first = grouped[starts + v];
    let end = grouped[starts + v + 1u];
    if (first == end) { continue; }
    var sum: array<vec4<f32>, MOST_QUADS_PER_INVOCATION>;
    for (var q = 0u; q < QUADS_PER_INVOCATION; q++) {
      sum[q] = loadColumnQuad(u.weightOffset + 4u * (firstQuad + q) * V + v, V);
    }
    for (var i = first; i < end; i++) {
      let row = u.outputOffset / 4u + grouped[i] * quadsPerRow + firstQuad;
      for (var q = 0u; q < QUADS_PER_INVOCATION; q++) {
        let d = dPreactivations[row + q];
        sum[q] += d;
        total[q] += d;
      }
    }
    for (var q = 0u; q < QUADS_PER_INVOCATION; q++) {
      storeColumnQuad(u.weightOffset + 4u * (firstQuad + q) * V + v, V, sum[q]);
    }
  }
  for (var q = 0u; q < QUADS_PER_INVOCATION; q++) {
    let j = 4u * (firstQuad + q);
    if (u.biasOffset0 != NO_BIAS) { addQuad(u.biasOffset0 + j, total[q]); }
    if (u.biasOffset1 != NO_BIAS) { addQuad(u.biasOffset1 + j, total[q]); }
  }
}

fn addQuad(word: u32, value: vec4<f32>) {
  gradients[word] += value.x;
  gradients[word + 1u] += value.y;
  gradients[word + 2u] += value.z;
  gradients[word + 3u] += value.w;
}

// dW_ih[j .. j + 3, v]: the words at `word` and `stride` (V) apart.
fn loadColumnQuad(word: u32, stride: u32) -> vec4<f32> {
  return vec4<f32>(gradients[word], gradients[word + stride], gradients[word + 2u * stride], gradients[word + 3u * stride]);
}

fn storeColumnQuad(word: u32, stride: u32, value: vec4<f32>) {
  gradients[word] = value.x;
  gradients[word + stride] = value.y;
  gradients[word + 2u * stride] = value.z;
  gradients[word + 3u * stride] = value.w;
}
