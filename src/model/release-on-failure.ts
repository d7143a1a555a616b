/**
 * Building something that allocates several GPU buffers (a model's buffers, a
 * batch shape's plan) can fail part-way, e.g. at a device limit. So that a refused
 * call leaves nothing allocated, the buffers created during a build that throws are
 * destroyed before the error goes on; a build that succeeds says how many bytes of
 * buffers it created (the memory a plan holds, counted as it was allocated).
 */
export function buildCounted<T>(device: GPUDevice, build: () => T): { built: T; bytes: number } {
  const created: { resource: GPUBuffer | GPUTexture; bytes: number }[] = [];
  const createBuffer = device.createBuffer;
  const createTexture = device.createTexture;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = createBuffer.call(this, descriptor);
    created.push({ resource: buffer, bytes: buffer.size });
    return buffer;
  };
  // Textures too: a plan's operand textures (operand-textures.ts).
  device.createTexture = function (this: GPUDevice, descriptor: GPUTextureDescriptor): GPUTexture {
    const texture = createTexture.call(this, descriptor);
    created.push({ resource: texture, bytes: textureBytes(texture) });
    return texture;
  };
  try {
    const built = build();
    return { built, bytes: created.reduce((sum, { bytes }) => sum + bytes, 0) };
  } catch (error) {
    for (const { resource } of created) resource.destroy();
    throw error;
  } finally {
    device.createBuffer = createBuffer;
    device.createTexture = createTexture;
  }
}

/** Bytes of a one-level, one-sample texture of the format the engine creates (rgba32float) or a few common ones. */
export function textureBytes(texture: GPUTexture): number {
  const texelBytes: Partial<Record<GPUTextureFormat, number>> = { rgba32float: 16, rgba16float: 8, r32float: 4, rgba8unorm: 4, bgra8unorm: 4, r8unorm: 1 };
  const bytes = texelBytes[texture.format];
  if (bytes === undefined) throw new Error(`texture ${texture.label}: no byte count for format ${texture.format}`);
  return texture.width * texture.height * texture.depthOrArrayLayers * bytes;
}

/** `build()`, with every buffer it created destroyed if it throws. */
export function releaseOnFailure<T>(device: GPUDevice, build: () => T): T {
  return buildCounted(device, build).built;
}
