/**
 * Counts the GPU buffers created on a device and the bytes of those (and of textures, the
 * plans' operand textures) still alive: the bench's tracker (bench/memory.ts), without a limit.
 */
export { trackBuffers } from '../bench/memory.ts';
