/**
 * RnnModel.gpuMemory() reports the GPU memory the model holds from the buffers it
 * created: its total equals the live bytes of every buffer created on the device since
 * the model's creation (createBuffer wrapped), through new batch shapes, evaluation,
 * prediction, generation, plan eviction and disposal.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel, type RnnModelConfig } from '../src/index.ts';
import { trackBuffers } from './buffer-tracker.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[TEST_ADAPTERS.length - 1];

function tokenBatch(timeSteps: number, batchSize: number, vocabularySize: number) {
  const rows = timeSteps * batchSize;
  return {
    timeSteps,
    batchSize,
    inputTokens: Array.from({ length: rows }, (_, i) => i % vocabularySize),
    targets: Array.from({ length: rows }, (_, i) => (i + 1) % vocabularySize),
  };
}

describe(`gpuMemory (on ${adapter})`, () => {
  const configs: [string, RnnModelConfig][] = [
    ['an LSTM with Adam, dropout and clipping', { cell: 'lstm', layers: 2, vocabularySize: 7, hiddenSize: 6, dropout: 0.2, clipGradientNorm: 1, optimizer: { type: 'adam', learningRate: 0.01 } }],
    ['a bidirectional GRU with an embedding and SGD', { cell: 'gru', layers: 1, vocabularySize: 5, embeddingSize: 3, hiddenSize: 4, bidirectional: true, optimizer: { type: 'sgd', learningRate: 0.1 } }],
  ];

  it.each(configs)('%s: the total is the live bytes of the buffers it created, and a new batch shape adds its plan', async (_, config) => {
    const context = await contextFor(adapter);
    // The device's kernel set (shared by every model, not counted) is built once, before tracking.
    (await RnnModel.create(context, { vocabularySize: 2, hiddenSize: 1 })).dispose();
    const tracker = trackBuffers(context.device);
    const model = await RnnModel.create(context, config);
    const V = config.vocabularySize!;
    try {
      const fresh = model.gpuMemory();
      expect(fresh.totalBytes).toBe(tracker.liveBytes());
      expect(fresh.plans).toEqual([]);
      expect(fresh.activationBytes).toBe(0);
      expect(fresh.stateBytes).toBe(0);
      const parameters = Object.values(model.parameterShapes).reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
      // One float32 per element of the flat layout (every parameter, views aligned), rounded up to 16 bytes as storage buffers are.
      expect(model.layout.totalLength).toBeGreaterThanOrEqual(parameters);
      expect(fresh.parameterBytes).toBe(Math.ceil((4 * model.layout.totalLength) / 16) * 16);
      expect(fresh.gradientBytes).toBe(fresh.parameterBytes);
      expect(fresh.optimizerBytes).toBe(config.optimizer!.type === 'adam' ? 2 * fresh.parameterBytes : 0);

      await model.trainStep(tokenBatch(3, 2, V)).loss();
      const oneShape = model.gpuMemory();
      expect(oneShape.totalBytes).toBe(tracker.liveBytes());
      expect(oneShape.plans.map(({ mode, timeSteps, batchSize }) => [mode, timeSteps, batchSize])).toEqual([['train', 3, 2]]);
      expect(oneShape.activationBytes).toBe(oneShape.plans[0].bytes);
      expect(oneShape.stateBytes).toBeGreaterThan(0);

      // The same shape again allocates nothing; a longer one adds a larger plan.
      await model.trainStep(tokenBatch(3, 2, V)).loss();
      expect(model.gpuMemory()).toEqual(oneShape);
      await model.trainStep(tokenBatch(6, 2, V)).loss();
      const twoShapes = model.gpuMemory();
      expect(twoShapes.totalBytes).toBe(tracker.liveBytes());
      expect(twoShapes.plans).toHaveLength(2);
      expect(twoShapes.plans[1].bytes).toBeGreaterThan(oneShape.plans[0].bytes);
      expect(twoShapes.totalBytes).toBe(oneShape.totalBytes + twoShapes.plans[1].bytes);

      // Evaluation plans have no gradient buffers: smaller than the training plan of their shape.
      await model.evaluate(tokenBatch(6, 2, V)).loss();
      const evaluated = model.gpuMemory();
      expect(evaluated.totalBytes).toBe(tracker.liveBytes());
      expect(evaluated.plans.at(-1)).toMatchObject({ mode: 'evaluate', timeSteps: 6, batchSize: 2 });
      expect(evaluated.plans.at(-1)!.bytes).toBeLessThan(twoShapes.plans[1].bytes);

      await model.predict({ ...tokenBatch(2, 3, V), targets: undefined });
      if (!config.bidirectional) await model.generate({ primeTokens: [1, 2], length: 3 });
      expect(model.gpuMemory().totalBytes).toBe(tracker.liveBytes());

      // Beyond six plans the least recently used is freed, and no longer counted.
      for (let T = 7; T <= 11; T++) await model.trainStep(tokenBatch(T, 1, V)).loss();
      const evicted = model.gpuMemory();
      expect(evicted.plans).toHaveLength(6);
      expect(evicted.plans.some((plan) => plan.mode === 'train' && plan.timeSteps === 3)).toBe(false);
      expect(evicted.totalBytes).toBe(tracker.liveBytes());
      expect(evicted.totalBytes).toBe(
        evicted.parameterBytes + evicted.gradientBytes + evicted.optimizerBytes + evicted.historyBytes + evicted.stateBytes + evicted.activationBytes,
      );
    } finally {
      model.dispose();
      expect(tracker.liveBytes()).toBe(0);
      tracker.stop();
    }
    expect(() => model.gpuMemory()).toThrow(/disposed/);
  });
});
