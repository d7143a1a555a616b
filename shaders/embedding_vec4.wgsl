// embeddingForward (embedding.wgsl) for four hidden units per invocation, with the
// projections and biases bound as vec4s: the one-hot input projection
//   out[tb, j .. j + 3] = W_ih[j .. j + 3, token[tb]] + bias0[j ..] + bias1[j ..]
// in one token load, four strided weight loads, one or two bias loads and one
// store, where embeddingForward makes 4–5 loads and a store per element (on CPU
// adapters each load is a loop over the invocations). For a width (rows of W_ih)
// and bias and output offsets that are multiples of 4 (sequence-ops.ts).

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> parameters: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> projections: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: EmbeddingUniforms;

// parameters[index] as a word.
fn parameter(index: u32) -> f32 {
  return parameters[index / 4u][index % 4u];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingForwardVec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let quad = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let quadsPerRow = u.width / 4u;
  if (quad >= u.rows * quadsPerRow) { return; }
  let row = quad / quadsPerRow;
  let j = 4u * (quad % quadsPerRow);
  let column = u.weightOffset + j * u.vocabulary + tokens[row];
  var value = vec4<f32>(parameter(column), parameter(column + u.vocabulary), parameter(column + 2u * u.vocabulary), parameter(column + 3u * u.vocabulary));
  value += parameters[(u.biasOffset0 + j) / 4u];
  if (u.biasOffset1 != NO_BIAS) { value += parameters[(u.biasOffset1 + j) / 4u]; }
  projections[u.outputOffset / 4u + quad] = value;
}
