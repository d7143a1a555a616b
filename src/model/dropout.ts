/**
 * The dropout mask, as shaders/dropout.wgsl draws it, reproduced on the CPU:
 * keys per run and layer, and the mask itself (for tests and inspection).
 */
/** PCG-RXS-M-XS 32-bit hash, in u32 arithmetic exactly as the shader does it. */
export function pcgHash(value: number): number {
  const state = (Math.imul(value >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The mask key of training run `run` (counted from 0) at the boundary above layer `layer`. */
export function dropoutKey(seed: number, run: number, layer: number): number {
  return pcgHash((pcgHash((pcgHash(seed >>> 0) ^ run) >>> 0) ^ layer) >>> 0);
}

/** m_i for i < count: 1/(1 − p) where kept, 0 where dropped (the scale rounded to float32, as the GPU uses it). */
export function dropoutMask(key: number, count: number, dropProbability: number): Float32Array {
  const scale = Math.fround(1 / (1 - dropProbability));
  const threshold = Math.fround(dropProbability);
  const mask = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const uniform01 = (pcgHash((i ^ key) >>> 0) >>> 8) / 16777216;
    mask[i] = uniform01 >= threshold ? scale : 0;
  }
  return mask;
}
