// What embedding.wgsl and embedding_vec4.wgsl share: their uniforms and constants.

struct EmbeddingUniforms {
  rows: u32,         // T * B positions
  width: u32,        // rows of W_ih: H times the gate count
  vocabulary: u32,   // V (columns of W_ih)
  weightOffset: u32, // W_ih (forward: parameters; backward: gradients)
  biasOffset0: u32,
  biasOffset1: u32,
  outputOffset: u32, // forward: first projected row; backward: first row of dA
}

override WORKGROUP_SIZE: u32 = 64u;
const NO_BIAS: u32 = 0xffffffffu;
