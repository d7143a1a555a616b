// The one-hot input projection's weight gradient on CPU adapters, a scatter of the
// rows of dA into columns of dW_ih [H, V] (no one-hot matrix is ever built), in two
// dispatches (GPUs keep embedding.wgsl's one-pass embeddingBackward: a serial counting
// sort in one invocation would cost them more than it saves):
//
// groupTokenRows:           grouped = [order | starts | cursors]: order lists the
//                           rows tb of the batch grouped by token, each group in row
//                           order (a stable counting sort), starts[v] the index in order
//                           of token v's first row (starts[V] = rows); cursors is
//                           scratch. One invocation: a few passes over T·B tokens and V
//                           counts.
// embeddingBackwardGrouped: dW_ih[j, v] += Σ_{tb : token[tb] = v} dA[tb, j]
//                           one invocation per hidden unit j owns row j of dW_ih (no
//                           atomics) and keeps each sum in a register while it walks
//                           token v's rows in row order: the same additions in the same
//                           order as embeddingBackward's walk over all rows, with two
//                           loads per row (its index, its dA) where that walk makes four
//                           (the token, dW_ih's word, dA, the store; on CPU adapters
//                           each a loop over the invocations).

// (EmbeddingUniforms, WORKGROUP_SIZE: embedding_uniforms.wgsl, which comes first.)

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read_write> grouped: array<u32>;
@group(0) @binding(2) var<storage, read> dPreactivations: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradients: array<f32>;
@group(0) @binding(4) var<uniform> u: EmbeddingUniforms;

@compute @workgroup_size(1)
fn groupTokenRows() {
  let starts = u.rows;
  let cursors = u.rows + u.vocabulary + 1u;
  for (var v = 0u; v <= u.vocabulary; v++) { grouped[starts + v] = 0u; }
  // Tokens are validated to be below V; the clamp keeps any other value inside the counts.
  for (var tb = 0u; tb < u.rows; tb++) {
    let slot = starts + min(tokens[tb], u.vocabulary - 1u) + 1u;
    grouped[slot] = grouped[slot] + 1u;
  }
  for (var v = 0u; v < u.vocabulary; v++) {
    let first = grouped[starts + v];
    grouped[starts + v + 1u] = grouped[starts + v + 1u] + first;
    grouped[cursors + v] = first;
  }
  for (var tb = 0u; tb < u.rows; tb++) {
    let slot = cursors + min(tokens[tb], u.vocabulary - 1u);
    let at = grouped[slot];
    grouped[at] = tb;
    grouped[slot] = at + 1u;
  }
}

// With biasOffset0 (and biasOffset1) set, the same walk also sums column j over all rows,
// token by token, each token's rows in row order, and adds that to db[j] at each offset:
// the bias gradient Σ_tb dA[tb, j] read from the same loads.
@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingBackwardGrouped(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= u.width) { return; }
  let starts = u.rows;
  let rowStart = u.weightOffset + j * u.vocabulary;
  var total = 0.0;
  for (var v = 0u; v < u.vocabulary; v++) {
    let first = grouped[starts + v];
    let end = grouped[starts + v + 1u];
    if (first == end) { continue; }
    var sum = gradients[rowStart + v];
    for (var i = first; i < end; i++) {
      let d = dPreactivations[u.outputOffset + grouped[i] * u.width + j];
      sum += d;
      total += d;
    }
    gradients[rowStart + v] = sum;
  }
  if (u.biasOffset0 != NO_BIAS) { gradients[u.biasOffset0 + j] += total; }
  if (u.biasOffset1 != NO_BIAS) { gradients[u.biasOffset1 + j] += total; }
}
