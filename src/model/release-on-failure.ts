/**
 * Building something that allocates several GPU buffers (a model's buffers, a
 * batch shape's plan) can fail part-way, e.g. at a device limit. So that a refused
 * call leaves nothing allocated, the buffers created during a build that throws are
 * destroyed before the error goes on; a build that succeeds says how many bytes of
 * buffers it created (the memory a plan holds, counted as it was allocated).
 */
export function buildCounted<T>(device: GPUDevice, build: () => T): { built: T; bytes: number } {
  const created: GPUBuffer[] = [];
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = create.call(this, descriptor);
    created.push(buffer);
    return buffer;
  };
  try {
    const built = build();
    return { built, bytes: created.reduce((sum, buffer) => sum + buffer.size, 0) };
  } catch (error) {
    for (const buffer of created) buffer.destroy();
    throw error;
  } finally {
    device.createBuffer = create;
  }
}

/** `build()`, with every buffer it created destroyed if it throws. */
export function releaseOnFailure<T>(device: GPUDevice, build: () => T): T {
  return buildCounted(device, build).built;
}
