/**
 * A refused call allocates nothing that outlives it: a batch too large for the
 * device, a 'carry' of the wrong batch size, a bad dispatchesPerStep query, a bad
 * generation, and a build that fails part-way each leave the live GPU bytes where
 * they were, however often repeated.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type SequenceBatch } from '../src/index.ts';
import { releaseOnFailure } from '../src/model/release-on-failure.ts';
import { trackBuffers } from './buffer-tracker.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];

function refused(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe(`memory of refused calls (on ${adapter})`, () => {
  it('too-large batches, wrong carries and bad dispatch queries allocate nothing, however often repeated', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'lstm', vocabularySize: 2 ** 12, hiddenSize: 4 });
    const small: SequenceBatch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };
    await model.trainStep(small).loss();
    const tracker = trackBuffers(context.device);
    try {
      const start = tracker.liveBytes();
      const limit = Math.min(context.limits.maxStorageBufferBindingSize, context.limits.maxBufferSize);
      const rows = Math.floor(limit / (4 * 2 ** 12)) + 1;
      const huge = { timeSteps: 1, batchSize: rows, inputTokens: new Uint32Array(rows), targets: new Uint32Array(rows) };
      for (let repeat = 0; repeat < 5; repeat++) {
        expect(refused(() => model.trainStep(huge))).toBeInstanceOf(InvalidArgumentError);
        expect(refused(() => model.evaluate(huge))).toBeInstanceOf(InvalidArgumentError);
        // 'carry' from a batch of 1 into a new shape of batch size 2: refused before its plan is made.
        const carry = refused(() => model.trainStep({ timeSteps: 3, batchSize: 2, inputTokens: [0, 1, 2, 3, 0, 1], targets: [1, 2, 3, 0, 1, 2], initialHidden: 'carry' }));
        expect(carry.message).toContain('carries a state of batch size 1');
        for (const [timeSteps, batchSize] of [[0, 1], [-1, 1], [1, 0], [1.5, 1], ['2', 1], [1, Number.NaN], [1e9, 1]]) {
          expect(refused(() => model.dispatchesPerStep(timeSteps as number, batchSize as number))).toBeInstanceOf(InvalidArgumentError);
        }
        const generation = await model.generate({ primeTokens: [0], length: 0 }).then(() => undefined, (e: unknown) => e);
        expect(generation).toBeInstanceOf(InvalidArgumentError);
      }
      expect(tracker.created()).toBe(0);
      expect(tracker.liveBytes()).toBe(start);
      expect(model.stepCount).toBe(1);
      // A valid query still answers, and its plan is the model's to keep.
      expect(model.dispatchesPerStep(3, 2).total).toBeGreaterThan(0);
    } finally {
      tracker.stop();
      model.dispose();
    }
    expect(refused(() => model.dispatchesPerStep(2, 1)).message).toContain('disposed');
  });

  it('a build that fails part-way destroys the buffers it had created', async () => {
    const context = await contextFor(adapter);
    const tracker = trackBuffers(context.device);
    try {
      const usage = GPUBufferUsage.STORAGE;
      expect(() =>
        releaseOnFailure(context.device, () => {
          context.device.createBuffer({ label: 'first', size: 1024, usage });
          context.device.createBuffer({ label: 'second', size: 2048, usage });
          throw new Error('limit reached');
        }),
      ).toThrow('limit reached');
      expect(tracker.created()).toBe(2);
      expect(tracker.liveBytes()).toBe(0);
      const kept = releaseOnFailure(context.device, () => context.device.createBuffer({ label: 'kept', size: 256, usage }));
      expect(tracker.liveBytes()).toBe(256);
      kept.destroy();
    } finally {
      tracker.stop();
    }
    context.throwIfFaulted();
  });
});
