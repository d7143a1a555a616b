/**
 * The device layer: which adapter was taken and at what feature level, the limits
 * raised to what the adapter offers, and faults (uncaptured errors, device loss,
 * a missing adapter) turned into clear errors.
 */
import { describe, expect, it } from 'vitest';
import { createGpuContext, RnnModel } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const EXPECTED_FEATURE_LEVEL: Record<string, string> = { swiftshader: 'core', llvmpipe: 'compatibility' };

describe.each(TEST_ADAPTERS)('device on %s', (adapter) => {
  it('reports the adapter it took, with its feature level', async () => {
    const context = await contextFor(adapter);
    expect(context.adapter.kind).toBe(adapter);
    if (adapter in EXPECTED_FEATURE_LEVEL) expect(context.adapter.featureLevel).toBe(EXPECTED_FEATURE_LEVEL[adapter]);
    expect(context.description).toContain(adapter);
    expect(context.description).toContain(`${context.adapter.featureLevel} feature level`);
  });

  it('raises the limits the kernels are sized from to what the adapter offers', async () => {
    const context = await contextFor(adapter);
    const limits = context.limits;
    // The compatibility defaults are 128 invocations and 4 storage buffers; both software adapters offer more.
    expect(limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThan(128);
    expect(limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(4);
    expect(limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });

  it('turns an uncaptured WebGPU error into an error thrown at the next use', async () => {
    const context = await createGpuContext({ adapter });
    try {
      const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
      context.device.createBuffer({ size: 4, usage: 0x7fffffff }); // invalid usage bits
      await context.device.queue.onSubmittedWorkDone();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(() => model.trainStep({ timeSteps: 1, batchSize: 1, inputTokens: [0], targets: [1] })).toThrow(/WebGPU error: .*usage/i);
    } finally {
      context.destroy();
    }
  });

  it('reports a lost device clearly, and refuses further work', async () => {
    const context = await createGpuContext({ adapter });
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    context.device.destroy();
    await context.device.lost;
    expect(() => model.trainStep({ timeSteps: 1, batchSize: 1, inputTokens: [0], targets: [1] })).toThrow(/GPU device was lost \(destroyed\)/);
    await expect(model.readParameters()).rejects.toThrow(/lost/);
  });
});

describe('adapter choice', () => {
  it('fails with a message saying what is missing when SwiftShader cannot be found', async () => {
    const previous = process.env.WEBGPU_RNN_SWIFTSHADER_ICD;
    process.env.WEBGPU_RNN_SWIFTSHADER_ICD = '/nonexistent/vk_swiftshader_icd.json';
    try {
      await expect(createGpuContext({ adapter: 'swiftshader' })).rejects.toThrow(
        /No WebGPU adapter found for adapter 'swiftshader'.*apt-get install chromium libvulkan1.*WEBGPU_RNN_SWIFTSHADER_ICD/,
      );
    } finally {
      if (previous === undefined) delete process.env.WEBGPU_RNN_SWIFTSHADER_ICD;
      else process.env.WEBGPU_RNN_SWIFTSHADER_ICD = previous;
    }
  });

  it('rejects an unknown adapter name, listing the known ones', async () => {
    await expect(createGpuContext({ adapter: 'cuda' as never })).rejects.toThrow(
      "options.adapter: got \"cuda\", expected one of 'auto', 'hardware', 'swiftshader', 'llvmpipe'",
    );
  });
});
