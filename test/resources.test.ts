/**
 * Resource hygiene and device limits: disposing a model frees every GPU buffer it
 * made, long training allocates nothing after its first step, and a model too
 * large for the device is refused at creation, naming the limit and the size.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel } from '../src/index.ts';
import { trackBuffers } from './buffer-tracker.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { stepTimeLimit } from './time-limits.ts';

describe.each(TEST_ADAPTERS)('resources on %s', (adapter) => {
  it('creating, training and disposing 12 models returns the live GPU bytes to where they started', async () => {
    const context = await contextFor(adapter);
    // The device's kernel set (pipelines and the 16-byte placeholder for omitted bindings) is built once and shared.
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

  it('disposing a model while its calls are pending refuses them, or lets them finish, and leaves the device to the other models', async () => {
    const context = await contextFor(adapter);
    const config = { cell: 'gru' as const, vocabularySize: 5, hiddenSize: 8 };
    const batch = { timeSteps: 2, batchSize: 1, inputTokens: [1, 2], targets: [2, 3] };
    const other = await RnnModel.create(context, config);
    try {
      const pendingCalls: [string, (model: RnnModel) => Promise<unknown>][] = [
        ['generate from one token', (model) => model.generate({ primeTokens: [1], length: 5 })],
        ['generate from three tokens', (model) => model.generate({ primeTokens: [1, 2, 3], length: 5 })],
        ['a training step and its loss', (model) => model.trainStep(batch).loss()],
        ['predict', (model) => model.predict({ ...batch, targets: undefined })],
        ['saveWeights', (model) => model.saveWeights()],
        ['readParameters', (model) => model.readParameters()],
      ];
      for (const [name, call] of pendingCalls) {
        const model = await RnnModel.create(context, config);
        const pending = call(model).then(() => 'finished', (error: Error) => error.message);
        model.dispose();
        const outcome = await pending;
        expect(outcome === 'finished' || /disposed|destroyed/.test(outcome), `${name}: ${outcome}`).toBe(true);
        // No WebGPU error was raised on the device: the other model trains on.
        expect(() => context.throwIfFaulted(), name).not.toThrow();
        expect(Number.isFinite(await other.trainStep(batch).loss()), name).toBe(true);
      }
    } finally {
      other.dispose();
    }
  });

  const shortRun = adapter === 'swiftshader' ? 300 : 1_000;
  it(`${shortRun} training steps allocate no GPU buffer after the first`, { timeout: stepTimeLimit(adapter, shortRun) }, async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'gru', vocabularySize: 5, hiddenSize: 4, clipGradientNorm: 1 });
    const tracker = trackBuffers(context.device);
    try {
      const batch = { timeSteps: 2, batchSize: 2, inputTokens: [0, 1, 2, 3], targets: [1, 2, 3, 4] };
      await model.trainStep(batch).loss();
      const afterFirst = tracker.created();
      let last;
      for (let step = 1; step < shortRun; step++) last = model.trainStep(batch);
      expect(Number.isFinite(await last!.loss())).toBe(true);
      // One readback buffer for that loss, and nothing else.
      expect(tracker.created() - afterFirst).toBe(1);
      expect(model.stepCount).toBe(shortRun);
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

describe.each(TEST_ADAPTERS)('long runs on %s', (adapter) => {
  // Enough steps that a leak of a few hundred bytes a step shows in the heap: 3,000 (SwiftShader, ten times slower: 300).
  const steps = adapter === 'swiftshader' ? 300 : 3_000;
  it(`${steps} training steps of a small model keep GPU buffers and the JS heap flat`, { timeout: stepTimeLimit(adapter, steps) }, async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'lstm', vocabularySize: 4, hiddenSize: 4, clipGradientNorm: 1 });
    const tracker = trackBuffers(context.device);
    try {
      const batch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };
      await model.trainStep(batch).loss(); // builds the plan of this shape
      const collect = (globalThis as { gc?: () => void }).gc;
      expect(collect, 'tests run with --expose-gc (vite.config.ts)').toBeTypeOf('function');
      collect!();
      const heapBefore = process.memoryUsage().heapUsed;
      const createdBefore = tracker.created();
      const liveBefore = tracker.liveBytes();
      for (let chunk = 0; chunk < 10; chunk++) {
        let last;
        for (let step = 0; step < steps / 10; step++) last = model.trainStep(batch);
        await last!.loss(); // one readback per tenth of the run
      }
      expect(model.stepCount).toBe(steps + 1);
      expect(tracker.created() - createdBefore).toBe(10); // the ten loss readbacks, each released
      expect(tracker.liveBytes()).toBe(liveBefore);
      collect!();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      console.log(`${adapter}: ${steps} steps, JS heap ${(heapGrowth / 1e6).toFixed(1)} MB larger, ${tracker.created() - createdBefore} buffers created (readbacks), live GPU bytes ${liveBefore} → ${tracker.liveBytes()}`);
      expect(heapGrowth).toBeLessThan(2e6);
    } finally {
      tracker.stop();
      model.dispose();
    }
  });
});
