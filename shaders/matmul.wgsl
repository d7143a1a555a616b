// General matrix multiply with the variants backpropagation needs:
//   C = opA(A) · opB(B)  [+ bias0 + bias1 broadcast over rows]  [+ C if accumulating]
// opA(A) = A stored [M, K], or Aᵀ with A stored [K, M] (TRANSPOSE_A);
// opB(B) = B stored [K, N], or Bᵀ with B stored [N, K] (TRANSPOSE_B).
// All matrices are row-major slices of their buffers starting at the given element offsets.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;

struct MatmulUniforms {
  m: u32,
  n: u32,
  k: u32,
  offsetA: u32,
  offsetB: u32,
  offsetC: u32,
  biasOffset0: u32, // NO_BIAS when absent
  biasOffset1: u32, // NO_BIAS when absent
  accumulate: u32,  // 1: C += product, 0: C = product
}

const NO_BIAS: u32 = 0xffffffffu;

// The operands (bindings 0 and 1), the bias (2), C (3) and the epilogue are declared
// by the included file: matmul_operands.wgsl (words: storeOutput per element) or
// matmul_register_loads_vec4.wgsl (vec4s: storeOutputBlock per 4 x 4 block).
@group(0) @binding(4) var<uniform> u: MatmulUniforms;

@compute @workgroup_size(THREADS_X, THREADS_Y)
fn matmul(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  multiplyAndStoreTile(group, local, u.k);
}
