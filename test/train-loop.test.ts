/**
 * The library's training loop (train): the same steps as a hand-written
 * char-rnn loop, with the state carried across the chunks of each stream and
 * reset at every epoch; validation and sampling between steps that change
 * nothing of training; validation with its own carried state; progress,
 * checkpoints and stopping; options refused before any GPU work.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CharacterVocabulary, evaluateStreams, InvalidArgumentError, RnnModel, type RnnModelConfig, sampleText, TextBatches, train, type TrainOptions } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const TEXT = 'one two three four five six seven eight nine ten. '.repeat(12);
const vocabulary = CharacterVocabulary.fromText(TEXT);
const tokens = vocabulary.encode(TEXT);
// 600 characters in 3 streams of 200: 12 chunks of 16 an epoch.
const batches = new TextBatches(tokens, 16, 3);
const validationBatches = new TextBatches(tokens.subarray(0, 200), 16, 2);
// 3 chunks an epoch: a few steps cross an epoch boundary.
const shortBatches = new TextBatches(tokens.subarray(0, 156), 16, 3);
const config: RnnModelConfig = { cell: 'lstm', layers: 2, vocabularySize: vocabulary.size, hiddenSize: 8, seed: 7, optimizer: { type: 'adam', learningRate: 0.01 } };

/** Every step's loss by hand: chunk k of an epoch carries from chunk k−1; chunk 0 starts from zero. */
async function lossesByHand(model: RnnModel, steps: number, carry: boolean): Promise<number[]> {
  const results = [];
  for (let step = 0; step < steps; step++) {
    const index = step % shortBatches.batchesPerEpoch;
    const batch = shortBatches.batch(index);
    results.push(model.trainStep(carry && index > 0 ? { ...batch, initialHidden: 'carry' } : batch));
  }
  return Promise.all(results.map((result) => result.loss()));
}

describe.each(TEST_ADAPTERS)('train() on %s', (adapter) => {
  const create = async (overrides: Partial<RnnModelConfig> = {}) => RnnModel.create(await contextFor(adapter), { ...config, ...overrides });

  // The device and the pipelines of the three cells (compiled once per device) before the timed tests:
  // on a loaded machine SwiftShader's first compiles alone take a minute or more.
  beforeAll(async () => {
    for (const overrides of [{}, { cell: 'gru', layers: 1 }, { cell: 'rnn', layers: 1 }] as const) (await create(overrides)).dispose();
  }, 600_000);

  it.each([
    ['carried within an epoch and reset at its start', true],
    ['never carried', false],
  ])('takes the same steps as the char-rnn loop by hand: state %s', async (_, carry) => {
    const steps = 2 * shortBatches.batchesPerEpoch + 1; // into the third epoch
    const [byLoop, byHand] = [await create(), await create()];
    try {
      const result = await train(byLoop, { batches: shortBatches, steps, carry, progressEvery: 1 });
      expect(result.stepsTaken).toBe(steps);
      expect(result.trainingLosses.map((p) => p.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(result.trainingLosses.map((p) => p.loss)).toEqual(await lossesByHand(byHand, steps, carry));
      expect(await byLoop.readParameters()).toEqual(await byHand.readParameters());
    } finally {
      byLoop.dispose();
      byHand.dispose();
    }
  });

  it('validating and sampling between steps leave the training losses exactly as without them', async () => {
    const [quiet, busy] = [await create(), await create()];
    try {
      const steps = 14;
      const plain = await train(quiet, { batches, steps, progressEvery: 1 });
      const validations: number[] = [];
      let samples = 0;
      const busyRun = await train(busy, {
        batches,
        steps,
        progressEvery: 1,
        validation: validationBatches,
        validateEvery: 1,
        onValidation: ({ step }) => void validations.push(step),
        sampleEvery: 3,
        onSample: async () => {
          samples++;
          await sampleText(busy, vocabulary, { prime: 'one ', length: 5, seed: 1 });
        },
      });
      expect(busyRun.trainingLosses).toEqual(plain.trainingLosses);
      expect(validations).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(samples).toBe(4); // steps 3, 6, 9, 12
      expect(busyRun.validationLosses.every((p) => Number.isFinite(p.loss))).toBe(true);
    } finally {
      quiet.dispose();
      busy.dispose();
    }
  });

  it('validates with its own state carried across its chunks, every validateEvery steps and at the end', async () => {
    const model = await create();
    try {
      const result = await train(model, { batches, steps: 7, progressEvery: 5, validation: validationBatches, validateEvery: 3 });
      expect(result.validationLosses.map((p) => p.step)).toEqual([3, 6, 7]);
      // The same number by hand: chunk 0 from zero, each later chunk from the one before.
      const losses = [];
      for (let index = 0; index < validationBatches.batchesPerEpoch; index++) {
        const batch = validationBatches.batch(index);
        losses.push(await model.evaluate(index > 0 ? { ...batch, initialHidden: 'carry' } : batch).loss());
      }
      const mean = losses.reduce((sum, loss) => sum + loss, 0) / losses.length;
      expect(result.validationLosses[2].loss).toBeCloseTo(mean, 6);
      expect(await evaluateStreams(model, validationBatches)).toBeCloseTo(mean, 6);
      const fromZero = await evaluateStreams(model, validationBatches, { carry: false });
      expect(fromZero).not.toBeCloseTo(mean, 6);
      // validationBatchLimit: only the first batches.
      const limited = await train(model, { batches, steps: 8, validation: validationBatches, validationBatchLimit: 1 });
      expect(limited.validationLosses).toHaveLength(1);
      expect(limited.validationLosses[0].loss).toBeCloseTo(await model.evaluate(validationBatches.batch(0)).loss(), 6);
    } finally {
      model.dispose();
    }
  });

  it('reports progress, checkpoints at intervals and at the end, stops on the signal and resumes to the step target', async () => {
    const model = await create({ cell: 'gru', layers: 1 });
    try {
      const checkpoints: number[] = [];
      const progress: number[] = [];
      const stop = new AbortController();
      const first = await train(model, {
        batches,
        steps: 20,
        progressEvery: 2,
        onProgress: (p) => {
          progress.push(p.step);
          expect(p.targetStep).toBe(20);
          expect(p.epoch).toBe(Math.floor((p.step - 1) / 12) + 1);
          expect(p.charactersPerSecond).toBeGreaterThan(0);
          if (p.step === 8) stop.abort();
        },
        checkpointEvery: 5,
        onCheckpoint: ({ step }) => void checkpoints.push(step),
        validation: validationBatches,
        validateEvery: 100,
        signal: stop.signal,
      });
      expect(first.stopped).toBe('aborted');
      expect(model.stepCount).toBe(8);
      expect(progress).toEqual([1, 2, 4, 6, 8]);
      expect(checkpoints).toEqual([5, 8]); // at 5, then once at the stop
      expect(first.validationLosses.map((p) => p.step)).toEqual([8]); // a stopped run ends validated
      const rest = await train(model, { batches, steps: 20, checkpointEvery: 5, onCheckpoint: ({ step }) => void checkpoints.push(step) });
      expect(rest).toMatchObject({ stopped: 'completed', stepsTaken: 12, step: 20 });
      expect(checkpoints).toEqual([5, 8, 10, 15, 20]);
      expect((await train(model, { batches, epochs: 1 })).step).toBe(32);
    } finally {
      model.dispose();
    }
  });

  it('refuses bad options with an InvalidArgumentError naming them, before any step', async () => {
    const model = await create({ cell: 'rnn', layers: 1 });
    try {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ batches, steps: 5, stpes: 3 }, /options\.stpes: unknown option/],
        [{ batches }, /options\.steps: .*expected exactly one of them/],
        [{ batches, steps: 5, epochs: 1 }, /expected exactly one of them/],
        [{ batches, steps: 0 }, /options\.steps: got 0, expected a positive integer/],
        [{ batches: [1, 2], steps: 5 }, /options\.batches: .*expected stream batches/],
        [{ batches, steps: 5, carry: 'yes' }, /options\.carry: got "yes", expected true or false/],
        [{ batches, steps: 5, onProgress: 3 }, /options\.onProgress: got 3, expected a function/],
        [{ batches, steps: 5, checkpointEvery: 2 }, /options\.checkpointEvery: given without onCheckpoint/],
        [{ batches, steps: 5, validateEvery: 2 }, /options\.validateEvery: given without options\.validation/],
        [{ batches, steps: 5, validation: validationBatches, validateEvery: 1.5 }, /options\.validateEvery: got 1\.5/],
        [{ batches, steps: 5, signal: 'stop' }, /options\.signal: .*expected an AbortSignal/],
      ];
      for (const [options, message] of bad) {
        const call = train(model, options as unknown as TrainOptions);
        await expect(call).rejects.toThrow(InvalidArgumentError);
        await expect(call).rejects.toThrow(message);
      }
      expect(model.stepCount).toBe(0);
    } finally {
      model.dispose();
    }
  });
});
