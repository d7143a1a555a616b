/**
 * Building something that allocates several GPU buffers (a model's buffers, a
 * batch shape's plan) can fail part-way, e.g. at a device limit. So that a refused
 * call leaves nothing allocated, the buffers created during a build that throws are
 * destroyed before the error goes on.
 */
export function releaseOnFailure<T>(device: GPUDevice, build: () => T): T {
  const created: GPUBuffer[] = [];
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = create.call(this, descriptor);
    created.push(buffer);
    return buffer;
  };
  try {
    return build();
  } catch (error) {
    for (const buffer of created) buffer.destroy();
    throw error;
  } finally {
    device.createBuffer = create;
  }
}
