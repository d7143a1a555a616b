// The layout of an operand texture (operand-textures.ts): a run of vec4s packed
// row by row into an rgba32float texture OPERAND_TEXTURE_WIDTH texels wide, vec4
// i at texel (i mod width, i / width). A power of two, so that the texel is a
// mask and a shift.

const OPERAND_TEXTURE_WIDTH_LOG2: u32 = 10u;

fn operandTexel(i: u32) -> vec2<i32> {
  return vec2<i32>(i32(i & ((1u << OPERAND_TEXTURE_WIDTH_LOG2) - 1u)), i32(i >> OPERAND_TEXTURE_WIDTH_LOG2));
}
