// embeddingBackwardGrouped (embedding_backward.wgsl) for four hidden units per invocation,
// with dA bound as vec4s: per row of a token's group one index load and one vec4
// load of dA for four sums, where embeddingBackwardGrouped makes an index load per sum.
// For a width (rows of W_ih) and dA offset that are multiples of 4
// (kernel-choice.ts embeddingGradientKeys); the same sums in the same order.

// (EmbeddingUniforms, WORKGROUP_SIZE: embedding_uniforms.wgsl, which comes first.)

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
  // dW_ih[j + i, v] is word rowStart + i·V + v.
  let rowStart = u.weightOffset + 4u * quad * u.vocabulary;
  let V = u.vocabulary;
  for (var v = 0u; v < V; v++) {
    let first = grouped[starts + v];
    let end = grouped[starts + v + 1u];
    if (first == end) { continue; }
    var sum = vec4<f32>(gradients[rowStart + v], gradients[rowStart + V + v], gradients[rowStart + 2u * V + v], gradients[rowStart + 3u * V + v]);
    for (var i = first; i < end; i++) {
      sum += dPreactivations[u.outputOffset / 4u + grouped[i] * quadsPerRow + quad];
    }
    gradients[rowStart + v] = sum.x;
    gradients[rowStart + V + v] = sum.y;
    gradients[rowStart + 2u * V + v] = sum.z;
    gradients[rowStart + 3u * V + v] = sum.w;
  }
}
