import { textureBytes } from '../src/model/release-on-failure.ts';

/**
 * Counts the GPU buffers created on a device and the bytes of those (and of textures, the
 * plans' operand textures) still alive (wraps createBuffer and createTexture until stopped).
 */
export function trackBuffers(device: GPUDevice) {
  const live = new Map<GPUBuffer | GPUTexture, number>();
  let created = 0;
  const create = device.createBuffer;
  const createTexture = device.createTexture;
  device.createTexture = function (this: GPUDevice, descriptor: GPUTextureDescriptor) {
    const texture = createTexture.call(this, descriptor);
    live.set(texture, textureBytes(texture));
    const destroy = texture.destroy.bind(texture);
    texture.destroy = () => {
      live.delete(texture);
      destroy();
    };
    return texture;
  };
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
      device.createTexture = createTexture;
    },
  };
}
