// Packs count vec4s of a storage buffer, from vec4 index offset, into an operand
// texture (operand_texture.wgsl):
//   packed[texel(i)] = source[offset + i],  i < count

struct PackUniforms {
  count: u32,
  offset: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> source: array<vec4<f32>>;
@group(0) @binding(1) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> u: PackUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn packTexture(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= u.count) { return; }
  textureStore(packed, operandTexel(i), source[u.offset + i]);
}
