/**
 * Numerical faults are caught on the GPU: a step whose loss or gradients are not
 * finite leaves the parameters exactly as they were (its update is skipped through
 * an indirect dispatch, with no readback), is counted, and under 'error' its loss
 * rejects; training then goes on normally.
 */
import { describe, expect, it } from 'vitest';
import { NonFiniteStepError, RnnModel, train } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

// A relu RNN with weights of ±5 grows its state ~5× per step: float32 overflows within ~55 steps.
async function explodingModel(adapter: (typeof TEST_ADAPTERS)[number], onNonFinite: 'skip' | 'error') {
  const model = await RnnModel.create(await contextFor(adapter), { cell: 'rnn', nonlinearity: 'relu', vocabularySize: 4, hiddenSize: 6, onNonFinite, optimizer: { type: 'adam', learningRate: 0.01 } });
  const random = seededRandom(3);
  model.writeParameters(Object.fromEntries(Object.entries(await model.readParameters()).map(([name, v]) => [name, v.map(() => (random() < 0.5 ? -5 : 5))])));
  return model;
}

const tokens = (length: number) => Array.from({ length }, (_, i) => i % 4);
const longBatch = { timeSteps: 80, batchSize: 1, inputTokens: tokens(80), targets: tokens(80) };
const shortBatch = { timeSteps: 3, batchSize: 1, inputTokens: tokens(3), targets: tokens(3) };
const bits = (values: Record<string, Float32Array>) => Object.fromEntries(Object.entries(values).map(([n, v]) => [n, Array.from(new Uint32Array(v.buffer))]));

describe.each(TEST_ADAPTERS)('non-finite steps on %s', (adapter) => {
  it('are skipped on the GPU, parameters and optimizer state untouched, counted; training goes on', async () => {
    const model = await explodingModel(adapter, 'skip');
    try {
      const before = bits(await model.readParameters());
      const faulty = model.trainStep(longBatch);
      const loss = await faulty.loss();
      const norm = await faulty.gradientNorm();
      expect(Number.isFinite(loss) && Number.isFinite(norm)).toBe(false);
      expect(bits(await model.readParameters())).toEqual(before);
      expect(await model.readSkippedSteps()).toBe(1);

      const fine = model.trainStep(shortBatch);
      expect(Number.isFinite(await fine.loss())).toBe(true);
      expect(bits(await model.readParameters())).not.toEqual(before);
      expect(await model.readSkippedSteps()).toBe(1);
    } finally {
      model.dispose();
    }
  });

  it('train() reports how many of its steps were skipped', async () => {
    const model = await explodingModel(adapter, 'skip');
    try {
      // Each step starts over from the same exploding weights (the skipped updates leave them), so every one overflows.
      const batches = { batch: () => longBatch, batchesPerEpoch: 1, timeSteps: 80, batchSize: 1 };
      const result = await train(model, { batches, steps: 2, carry: false });
      expect(result).toMatchObject({ stepsTaken: 2, skippedUpdates: 2 });
      const fine = await train(model, { batches: { ...batches, batch: () => shortBatch, timeSteps: 3 }, steps: 3, carry: false });
      expect(fine).toMatchObject({ stepsTaken: 1, skippedUpdates: 0 });
    } finally {
      model.dispose();
    }
  });

  it("under 'error', the faulty step's loss rejects with NonFiniteStepError", async () => {
    const model = await explodingModel(adapter, 'error');
    try {
      const faulty = model.trainStep(longBatch);
      await expect(faulty.loss()).rejects.toThrow(NonFiniteStepError);
      await expect(faulty.loss()).rejects.toThrow(/Step 1 had a non-finite .*update was skipped/);
      expect(Number.isFinite(await model.trainStep(shortBatch).loss())).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
