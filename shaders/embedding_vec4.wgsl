// embeddingForward (embedding.wgsl) for four hidden units and up to ROWS_PER_INVOCATION
// rows per invocation, with the projections and biases bound as vec4s: the one-hot
// input projection
//   out[tb, j .. j + 3] = W_ih[j .. j + 3, token[tb]] + bias0[j ..] + bias1[j ..]
// with the biases loaded once per invocation, then per row one token load, four strided
// weight loads and one store, where embeddingForward makes 4–5 loads and a store per
// element (on CPU adapters each load is a loop over the invocations). Neighbouring
// invocations take neighbouring units of the same rows. For a width (rows of W_ih) and
// bias and output offsets that are multiples of 4 (sequence-ops.ts); the same additions
// in the same order as embeddingForward.

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> parameters: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> projections: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: EmbeddingUniforms;

// parameters[index] as a word.
fn parameter(index: u32) -> f32 {
  return parameters[index / 4u][index % 4u];
}

// Rows each invocation projects (EMBEDDING_ROWS_PER_INVOCATION in sequence-ops.ts).
const ROWS_PER_INVOCATION: u32 = 8u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingForwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let quadsPerRow = u.width / 4u;
  let rowBlocks = (u.rows + ROWS_PER_INVOCATION - 1u) / ROWS_PER_INVOCATION;
  if (invocation >= rowBlocks * quadsPerRow) { return; }
  let firstRow = (invocation / quadsPerRow) * ROWS_PER_INVOCATION;
  let quad = invocation % quadsPerRow;
  let j = 4u * quad;
  let bias0 = parameters[(u.biasOffset0 + j) / 4u];
  var bias1 = vec4<f32>();
  let twoBiases = u.biasOffset1 != NO_BIAS;
  if (twoBiases) { bias1 = parameters[(u.biasOffset1 + j) / 4u]; }
  let lastRow = min(firstRow + ROWS_PER_INVOCATION, u.rows);
  for (var row = firstRow; row < lastRow; row++) {
    let column = u.weightOffset + j * u.vocabulary + tokens[row];
    var value = vec4<f32>(parameter(column), parameter(column + u.vocabulary), parameter(column + 2u * u.vocabulary), parameter(column + 3u * u.vocabulary));
    value += bias0;
    if (twoBiases) { value += bias1; }
    projections[u.outputOffset / 4u + row * quadsPerRow + quad] = value;
  }
}
