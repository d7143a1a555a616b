/** Counts the GPU buffers created on a device and the bytes of those still alive (wraps createBuffer until stopped). */
export function trackBuffers(device: GPUDevice) {
  const live = new Map<GPUBuffer, number>();
  let created = 0;
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = create.call(this, descriptor);
    live.set(buffer, descriptor.size);
    created++;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  return {
    liveBytes: () => [...live.values()].reduce((sum, bytes) => sum + bytes, 0),
    created: () => created,
    stop: () => {
      device.createBuffer = create;
    },
  };
}
