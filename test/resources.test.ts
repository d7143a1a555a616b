/**
 * Resource hygiene and device limits: disposing a model frees every GPU buffer it
 * made, long training allocates nothing after its first step, and a model too
 * large for the device is refused at creation, naming the limit and the size.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

/** Tracks the bytes of live GPU buffers created on `device` from now on. */
function trackBuffers(device: GPUDevice) {
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

describe.each(TEST_ADAPTERS)('resources on %s', (adapter) => {
  it('creating, training and disposing 12 models returns the live GPU bytes to where they started', async () => {
    const context = await contextFor(adapter);
    // The device's kernel set (pipelines and two 16-byte placeholder buffers) is built once and shared.
    (await RnnModel.create(context, { vocabularySize: 2, hiddenSize: 1 })).dispose();
    const tracker = trackBuffers(context.device);
    try {
      const start = tracker.liveBytes();
      let peak = 0;
      for (let i = 0; i < 12; i++) {
        const cell = (['rnn', 'lstm', 'gru'] as const)[i % 3];
        const model = await RnnModel.create(context, { cell, layers: 1 + (i % 2), vocabularySize: 6, hiddenSize: 8, dropout: 0.1, clipGradientNorm: 1, seed: i });
        const batch = { timeSteps: 4, batchSize: 2, inputTokens: [0, 1, 2, 3, 4, 5, 0, 1], targets: [1, 2, 3, 4, 5, 0, 1, 2] };
        await model.trainStep(batch).loss();
        await model.predict({ ...batch, targets: undefined });
        await model.generate({ primeTokens: [1], length: 4 });
        await model.saveCheckpoint();
        peak = Math.max(peak, tracker.liveBytes());
        model.dispose();
        expect(() => model.trainStep(batch)).toThrow(/disposed/);
      }
      expect(peak).toBeGreaterThan(start);
      expect(tracker.liveBytes()).toBe(start);
    } finally {
      tracker.stop();
    }
  });

  it('1,000 training steps allocate no GPU buffer after the first', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'gru', vocabularySize: 5, hiddenSize: 4, clipGradientNorm: 1 });
    const tracker = trackBuffers(context.device);
    try {
      const batch = { timeSteps: 2, batchSize: 2, inputTokens: [0, 1, 2, 3], targets: [1, 2, 3, 4] };
      await model.trainStep(batch).loss();
      const afterFirst = tracker.created();
      let last;
      for (let step = 1; step < 1000; step++) last = model.trainStep(batch);
      expect(Number.isFinite(await last!.loss())).toBe(true);
      // One readback buffer for that loss, and nothing else.
      expect(tracker.created() - afterFirst).toBe(1);
      expect(model.stepCount).toBe(1000);
    } finally {
      tracker.stop();
      model.dispose();
    }
  });

  it('refuses a model larger than the device allows at creation, naming the limit and the size needed', async () => {
    const context = await contextFor(adapter);
    const limit = context.limits.maxStorageBufferBindingSize;
    // W_hh of an LSTM with H hidden units holds 4H² floats; pick H so that it exceeds the limit.
    const hiddenSize = Math.ceil(Math.sqrt(limit / 16)) + 8;
    await expect(RnnModel.create(context, { cell: 'lstm', vocabularySize: 3, hiddenSize })).rejects.toThrow(
      new RegExp(`parameters needs \\d+ bytes, above this device's maxStorageBufferBindingSize of ${limit} bytes`),
    );
  });
});
