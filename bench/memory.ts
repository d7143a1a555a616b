/** GPU memory of a step: the bytes of live buffers created on a device, tracked from a point on. */

export interface BufferTracker {
  /** Bytes of tracked buffers not yet destroyed. */
  liveBytes(): number;
  /** The most live bytes seen since tracking began. */
  peakBytes(): number;
  stop(): void;
}

/** Why trackBuffers refused a buffer: the live bytes would pass its limit. */
export class BufferLimitError extends Error {}

/**
 * Wraps device.createBuffer (and each buffer's destroy) until stop(). With `limitBytes`,
 * a buffer that would take the live bytes past it is refused (BufferLimitError, thrown
 * from createBuffer) before anything is allocated: on a CPU adapter GPU buffers are this
 * machine's memory, and a runaway allocator would otherwise take all of it.
 */
export function trackBuffers(device: GPUDevice, limitBytes = Infinity): BufferTracker {
  const live = new Map<GPUBuffer, number>();
  let current = 0;
  let peak = 0;
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    if (current + descriptor.size > limitBytes) {
      throw new BufferLimitError(
        `out of memory: ${size(current)} of GPU buffers live, one more of ${size(descriptor.size)} would pass the bench's limit of ${size(limitBytes)}`,
      );
    }
    const buffer = create.call(this, descriptor);
    live.set(buffer, descriptor.size);
    current += descriptor.size;
    peak = Math.max(peak, current);
    const destroy = buffer.destroy;
    buffer.destroy = function (this: GPUBuffer) {
      if (live.has(buffer)) {
        current -= live.get(buffer)!;
        live.delete(buffer);
      }
      return destroy.call(this);
    };
    return buffer;
  };
  return {
    liveBytes: () => current,
    peakBytes: () => peak,
    stop: () => {
      device.createBuffer = create;
    },
  };
}

const size = (bytes: number) => (bytes < 2 ** 20 ? `${(bytes / 2 ** 10).toFixed(1)} KiB` : bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** Parameters of a one-layer model of the bench: W_ih, W_hh, both biases and the head. */
export function parameterCount(gates: number, hidden: number, vocabulary: number): number {
  return gates * hidden * (vocabulary + hidden + 2) + vocabulary * hidden + vocabulary;
}
