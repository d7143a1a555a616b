/** GPU memory of a step: the bytes of live buffers and textures created on a device, tracked from a point on. */
import { textureBytes } from '../src/model/release-on-failure.ts';

export interface BufferTracker {
  /** Bytes of tracked buffers not yet destroyed. */
  liveBytes(): number;
  /** The most live bytes seen since tracking began. */
  peakBytes(): number;
  /** Buffers created since tracking began. */
  created(): number;
  stop(): void;
}

/** Why trackBuffers refused a buffer: the live bytes would pass its limit. */
export class BufferLimitError extends Error {}

/**
 * Wraps device.createBuffer and createTexture (and each one's destroy) until stop(); textures
 * count as their texels' bytes (our operand textures, rgba32float). With `limitBytes`,
 * a buffer that would take the live bytes past it is refused (BufferLimitError, thrown
 * from createBuffer) before anything is allocated: on a CPU adapter GPU buffers are this
 * machine's memory, and a runaway allocator would otherwise take all of it.
 */
export function trackBuffers(device: GPUDevice, limitBytes = Infinity): BufferTracker {
  const live = new Map<GPUBuffer | GPUTexture, number>();
  let current = 0;
  let peak = 0;
  let buffersCreated = 0;
  const refuseAbove = (bytes: number) => {
    if (current + bytes > limitBytes) {
      throw new BufferLimitError(`out of memory: ${size(current)} of GPU buffers live, one more of ${size(bytes)} would pass the bench's limit of ${size(limitBytes)}`);
    }
  };
  const count = <T extends GPUBuffer | GPUTexture>(resource: T, bytes: number): T => {
    live.set(resource, bytes);
    current += bytes;
    peak = Math.max(peak, current);
    const destroy = resource.destroy;
    resource.destroy = function (this: T) {
      if (live.has(resource)) {
        current -= live.get(resource)!;
        live.delete(resource);
      }
      return destroy.call(this);
    };
    return resource;
  };
  const create = device.createBuffer;
  const createTexture = device.createTexture;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    refuseAbove(descriptor.size);
    const buffer = create.call(this, descriptor);
    buffersCreated++;
    return count(buffer, descriptor.size);
  };
  device.createTexture = function (this: GPUDevice, descriptor: GPUTextureDescriptor) {
    const texture = createTexture.call(this, descriptor);
    let bytes: number;
    try {
      bytes = textureBytes(texture);
    } catch {
      bytes = texture.width * texture.height * texture.depthOrArrayLayers * 16; // an unlisted format: at most 16 bytes a texel
    }
    if (current + bytes > limitBytes) {
      texture.destroy();
      refuseAbove(bytes);
    }
    return count(texture, bytes);
  };
  return {
    liveBytes: () => current,
    peakBytes: () => peak,
    created: () => buffersCreated,
    stop: () => {
      device.createBuffer = create;
      device.createTexture = createTexture;
    },
  };
}

const size = (bytes: number) => (bytes < 2 ** 20 ? `${(bytes / 2 ** 10).toFixed(1)} KiB` : bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** Parameters of a one-layer model of the bench: W_ih, W_hh, both biases and the head. */
export function parameterCount(gates: number, hidden: number, vocabulary: number): number {
  return gates * hidden * (vocabulary + hidden + 2) + vocabulary * hidden + vocabulary;
}
