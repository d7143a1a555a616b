/**
 * Batches of unequal sequences and the positions that carry a loss: per-sequence
 * lengths (no loss, no gradient and no effect on the final state past a
 * sequence's end), PyTorch's ignore index, and many-to-one targets (one class
 * per sequence, the loss at its last step), against the reference.
 */
import { describe, expect, it } from 'vitest';
import { IGNORE_INDEX, InvalidArgumentError, RnnModel, type RnnModelConfig } from '../src/index.ts';
import { type ReferenceDims, type ReferenceParameters, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const T = 6;
const B = 3;
const TOLERANCE = { relative: 1e-4, absolute: 2e-6 };

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

function ids(seed: number, bound: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: T * B }, () => Math.floor(random() * bound));
}

describe.each(TEST_ADAPTERS)('sequence lengths and targets on %s', (adapter) => {
  it('LSTM, 2 layers: lengths and ignored targets give the reference loss, gradients and final states', async () => {
    const config: RnnModelConfig = { cell: 'lstm', layers: 2, vocabularySize: 5, hiddenSize: 4, seed: 8 };
    const dims: ReferenceDims = { cell: 'lstm', layers: 2, inputSize: 5, hiddenSize: 4, outputSize: 5 };
    const model = await RnnModel.create(await contextFor(adapter), config);
    try {
      const targets = ids(2, 5);
      targets[0 * B + 2] = IGNORE_INDEX;
      targets[3 * B + 0] = IGNORE_INDEX;
      const batch = { timeSteps: T, batchSize: B, inputTokens: ids(1, 5), targets, lengths: [T, 2, 4] };
      const loss = await model.computeGradients(batch).loss();
      const want = rnnLossAndGradients(toFloat64(await model.readParameters()), dims, batch);
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name}`, gradients[name], want.gradients[name], TOLERANCE);
      expectClose('final hidden at each length', await model.readFinalHidden(), want.finalHidden, TOLERANCE);
      expectClose('final cell at each length', await model.readFinalCell(), want.finalCell!, TOLERANCE);
      expectClose('dL/dh0', (await model.readInitialStateGradients()).hidden, want.dInitialHidden, TOLERANCE);
    } finally {
      model.dispose();
    }
  });

  it('whatever stands past a sequence\'s length changes nothing, bit for bit, and carry continues from each own last step', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', vocabularySize: 5, hiddenSize: 4, seed: 3 });
    try {
      const lengths = [3, T, 1];
      const run = async (tokens: number[], targets: number[]) => {
        const loss = await model.computeGradients({ timeSteps: T, batchSize: B, inputTokens: tokens, targets, lengths }).loss();
        return { loss, gradients: await model.readGradients(), finalHidden: await model.readFinalHidden() };
      };
      const tokens = ids(4, 5);
      const targets = ids(5, 5);
      const first = await run(tokens, targets);
      // Change every token and target past each length.
      const otherTokens = tokens.map((token, i) => (Math.floor(i / B) >= lengths[i % B] ? (token + 1) % 5 : token));
      const otherTargets = targets.map((target, i) => (Math.floor(i / B) >= lengths[i % B] ? (target + 2) % 5 : target));
      const second = await run(otherTokens, otherTargets);
      expect(second.loss).toBe(first.loss);
      expect(second.gradients).toEqual(first.gradients);
      expect(second.finalHidden).toEqual(first.finalHidden);

      // Carry starts the next chunk from the states at each sequence's own last step
      // (on computeGradients' stream, which predict continues when told to).
      const next = { timeSteps: 2, batchSize: B, inputTokens: [1, 2, 3, 4, 0, 1] };
      const carried = await model.predict({ ...next, initialHidden: 'carry' }, { stream: 'gradients' });
      const explicit = await model.predict({ ...next, initialHidden: first.finalHidden });
      expect(carried.logits).toEqual(explicit.logits);
    } finally {
      model.dispose();
    }
  });

  it('many-to-one: one class per sequence, the loss at its last step, as the reference computes it', async () => {
    const config: RnnModelConfig = { cell: 'gru', layers: 2, inputSize: 3, hiddenSize: 5, outputSize: 4, seed: 6 };
    const dims: ReferenceDims = { cell: 'gru', layers: 2, inputSize: 3, hiddenSize: 5, outputSize: 4 };
    const model = await RnnModel.create(await contextFor(adapter), config);
    try {
      const random = seededRandom(9);
      const inputs = Array.from({ length: T * B * 3 }, () => random() * 2 - 1);
      const lengths = [4, T, 2];
      const sequenceTargets = [3, 0, 2];
      const loss = await model.computeGradients({ timeSteps: T, batchSize: B, inputs, sequenceTargets, lengths }).loss();
      const targets = new Array(T * B).fill(IGNORE_INDEX);
      for (let b = 0; b < B; b++) targets[(lengths[b] - 1) * B + b] = sequenceTargets[b];
      const want = rnnLossAndGradients(toFloat64(await model.readParameters()), dims, { timeSteps: T, batchSize: B, inputs, targets, lengths });
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name}`, gradients[name], want.gradients[name], TOLERANCE);
    } finally {
      model.dispose();
    }
  });

  it('rejects lengths out of range, targets with no position left, and both kinds of targets at once', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { vocabularySize: 5, hiddenSize: 4 });
    try {
      const batch = { timeSteps: T, batchSize: B, inputTokens: ids(1, 5), targets: ids(2, 5) };
      expect(() => model.trainStep({ ...batch, lengths: [T, 0, 2] })).toThrow(InvalidArgumentError);
      expect(() => model.trainStep({ ...batch, lengths: [T, T + 1, 2] })).toThrow(/batch\.lengths: element 1 is 7/);
      expect(() => model.trainStep({ ...batch, targets: new Array(T * B).fill(IGNORE_INDEX) })).toThrow(/no loss/);
      expect(() => model.trainStep({ ...batch, sequenceTargets: [0, 1, 2] })).toThrow(/batch\.sequenceTargets: given with batch\.targets/);
      expect(() => model.trainStep({ ...batch, targets: batch.targets.map((t, i) => (i === 4 ? -1 : t)) })).toThrow(/element 4 is -1, .* or -100/);
      expect(model.stepCount).toBe(0);
    } finally {
      model.dispose();
    }
  });
});
