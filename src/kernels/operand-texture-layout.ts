/**
 * The layout of an operand texture (shaders/operand_texture.wgsl): a run of vec4s
 * packed row by row into an rgba32float texture OPERAND_TEXTURE_WIDTH texels wide.
 */

/** log2 of the texels per row; the WGSL's OPERAND_TEXTURE_WIDTH_LOG2 (test/operand-textures.test.ts checks they agree). */
export const OPERAND_TEXTURE_WIDTH_LOG2 = 10;
export const OPERAND_TEXTURE_WIDTH = 2 ** OPERAND_TEXTURE_WIDTH_LOG2;
export const OPERAND_TEXTURE_FORMAT: GPUTextureFormat = 'rgba32float';
/** Bytes per texel of OPERAND_TEXTURE_FORMAT (one vec4 of f32). */
export const OPERAND_TEXEL_BYTES = 16;

/** Rows of an operand texture holding `vec4s` vec4s. */
export function operandTextureRows(vec4s: number): number {
  return Math.max(1, Math.ceil(vec4s / OPERAND_TEXTURE_WIDTH));
}
