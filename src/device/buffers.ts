/** Storage buffers: creation with labels, upload, and readback through a staging buffer released in `finally`. */

/** Usage of every storage buffer: bound to kernels, copied in and out. (A function: in Node the
 * GPUBufferUsage global exists only once Dawn is loaded.) */
export function storageUsage(): number {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
}

/** A storage buffer of `elements` 4-byte words (at least 4 bytes, rounded up to 16), zero-filled. */
export function createStorageBuffer(device: GPUDevice, label: string, elements: number): GPUBuffer {
  const bytes = Math.max(16, Math.ceil((elements * 4) / 16) * 16);
  const limit = device.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new Error(`${label} needs ${bytes} bytes, above this device's maxStorageBufferBindingSize of ${limit} bytes`);
  }
  return device.createBuffer({ label, size: bytes, usage: storageUsage() });
}

/** A storage buffer holding `data` (Float32Array or Uint32Array). */
export function createStorageBufferWith(device: GPUDevice, label: string, data: Float32Array | Uint32Array): GPUBuffer {
  const buffer = createStorageBuffer(device, label, data.length);
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Writes `data` at element `offset` of `buffer`. */
export function writeElements(device: GPUDevice, buffer: GPUBuffer, offset: number, data: Float32Array | Uint32Array): void {
  device.queue.writeBuffer(buffer, offset * 4, data.buffer, data.byteOffset, data.byteLength);
}

/** Copies `count` words from element `offset` of `buffer` to the CPU, after all submitted work. */
export async function readWords(device: GPUDevice, buffer: GPUBuffer, offset: number, count: number): Promise<ArrayBuffer> {
  const bytes = count * 4;
  const staging = device.createBuffer({
    label: `${buffer.label} readback`,
    size: Math.max(4, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: `${buffer.label} readback` });
    if (bytes > 0) encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, bytes);
  } finally {
    staging.destroy();
  }
}

export async function readFloats(device: GPUDevice, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  return new Float32Array(await readWords(device, buffer, offset, count));
}
