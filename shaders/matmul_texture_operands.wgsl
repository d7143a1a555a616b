// The operands of matmul_register_loads_vec4.wgsl as operand textures
// (operand_texture.wgsl), each copied from the operand's first element, so the
// offsets of A and B are relative to it; or with PACKED_B, B packed into column
// panels of the tile's width (operand_panels.wgsl) whichever way it is stored,
// so that each workgroup's loads of B run along memory. On llvmpipe a texture load is a gather
// of the SIMD vector's lanes, where a storage-buffer load is a loop over them
// with a branch per lane and component; read-only storage textures (image
// loads) ran the register-tile core 8–10% faster than sampled textures
// (texelFetch), which go through the sampler's code (bench/README.md).

@group(0) @binding(0) var a: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var b: texture_storage_2d<rgba32float, read>;

fn operandA(i: u32) -> vec4<f32> { return textureLoad(a, operandTexel(i)); }
fn operandB(i: u32) -> vec4<f32> { return textureLoad(b, operandTexel(i)); }

// Accumulating, C's earlier values come from a copy of C taken just before the product (its
// first element at texel 0), as A's and B's do: a texel load costs a fraction of a storage
// load on llvmpipe. Not accumulating, any operand texture is bound here and never read.
@group(0) @binding(5) var priorC: texture_storage_2d<rgba32float, read>;

fn priorOutput(index: u32) -> vec4<f32> { return textureLoad(priorC, operandTexel(index - u.offsetC / 4u)); }

override PACKED_B: bool = false;
