// Token inputs with one-hot semantics, done as gathers and scatters of columns
// of W_ih [H, V] (no one-hot matrix is ever built).
//
// embeddingForward:  out[tb, j] = W_ih[j, token[tb]] + bias0[j] + bias1[j]
//                    (the input projection W_ih x_t + b_ih (+ b_hh) for every t, b at once;
//                    bias1 is skipped when its offset is NO_BIAS)
// embeddingBackward: dW_ih[j, v] += Σ_{tb : token[tb] = v} dA[tb, j]
//                    one invocation per hidden unit j owns row j of dW_ih, so the
//                    scatter needs no atomics and sums in a fixed order (on GPUs; CPU
//                    adapters take embedding_backward.wgsl's grouped walk, the same sums).

// (EmbeddingUniforms, WORKGROUP_SIZE and NO_BIAS: embedding_uniforms.wgsl, which comes first.)

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> source: array<f32>;      // forward: parameters; backward: dA
@group(0) @binding(2) var<storage, read_write> destination: array<f32>; // forward: projections; backward: gradients
@group(0) @binding(3) var<uniform> u: EmbeddingUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.rows * u.width) { return; }
  let row = i / u.width;
  let j = i % u.width;
  let token = tokens[row];
  var value = source[u.weightOffset + j * u.vocabulary + token] + source[u.biasOffset0 + j];
  if (u.biasOffset1 != NO_BIAS) { value += source[u.biasOffset1 + j]; }
  destination[u.outputOffset + i] = value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingBackward(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= u.width) { return; }
  let rowStart = u.weightOffset + j * u.vocabulary;
  for (var tb = 0u; tb < u.rows; tb++) {
    let index = rowStart + tokens[tb];
    destination[index] = destination[index] + source[u.outputOffset + tb * u.width + j];
  }
}

// A learned embedding E [V, D] (torch.nn.Embedding), rows gathered by token:
// embeddingRowsForward:  out[r, d] = E[token[r], d]            (uniforms: rows, width = D, weightOffset, outputOffset)
// embeddingRowsBackward: dE[v, d] += Σ_{r : token[r] = v} dX[r, d]
//                        one invocation per column d owns that column of dE, so the
//                        scatter needs no atomics and sums in a fixed order.

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingRowsForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.rows * u.width) { return; }
  let row = i / u.width;
  let d = i % u.width;
  destination[u.outputOffset + i] = source[u.weightOffset + tokens[row] * u.width + d];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingRowsBackward(@builtin(global_invocation_id) id: vec3<u32>) {
  let d = id.x;
  if (d >= u.width) { return; }
  for (var r = 0u; r < u.rows; r++) {
    let index = u.weightOffset + tokens[r] * u.width + d;
    destination[index] = destination[index] + source[u.outputOffset + r * u.width + d];
  }
}
