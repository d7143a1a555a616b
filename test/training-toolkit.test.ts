/**
 * The training toolkit around the model: truncated BPTT with state carried and
 * reset per row on the GPU, evaluation without dropout or gradients, top-k
 * sampling, the train/validation split and the seeded shuffle.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel, sampleFromLogits, shuffledOrder, splitText } from '../src/index.ts';
import { type ReferenceParameters, rnnForward } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

describe.each(TEST_ADAPTERS)('truncated BPTT and evaluation on %s', (adapter) => {
  it('two carried chunks equal one long sequence; reset rows start from zero', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'lstm', layers: 2, vocabularySize: 5, hiddenSize: 4, seed: 2 });
    try {
      const random = seededRandom(3);
      const tokens = Array.from({ length: 8 * 2 }, () => Math.floor(random() * 5));
      const dims = { cell: 'lstm' as const, layers: 2, inputSize: 5, hiddenSize: 4, outputSize: 5 };
      const parameters = toFloat64(await model.readParameters());
      const whole = rnnForward(parameters, dims, { timeSteps: 8, batchSize: 2, inputTokens: tokens, targets: tokens });
      await model.predict({ timeSteps: 4, batchSize: 2, inputTokens: tokens.slice(0, 8) });
      const second = await model.predict({ timeSteps: 4, batchSize: 2, inputTokens: tokens.slice(8), initialHidden: 'carry' });
      expectClose('second chunk after carry', second.logits, whole.logits.subarray(4 * 2 * 5), { relative: 1e-4, absolute: 2e-6 });

      // Row 1 starts a new document: its states are zeroed on the GPU; row 0 carries on.
      await model.predict({ timeSteps: 4, batchSize: 2, inputTokens: tokens.slice(0, 8) });
      const reset = await model.predict({ timeSteps: 4, batchSize: 2, inputTokens: tokens.slice(8), initialHidden: 'carry', resetRows: [1] });
      const fresh = rnnForward(parameters, dims, { timeSteps: 4, batchSize: 2, inputTokens: tokens.slice(8), targets: tokens.slice(8) });
      for (let t = 0; t < 4; t++) {
        const row = (b: number, logits: ArrayLike<number>) => Array.from(logits).slice((t * 2 + b) * 5, (t * 2 + b + 1) * 5);
        expectClose(`t=${t} carried row`, row(0, reset.logits), row(0, whole.logits.subarray(4 * 2 * 5)), { relative: 1e-4, absolute: 2e-6 });
        expectClose(`t=${t} reset row`, row(1, reset.logits), row(1, fresh.logits), { relative: 1e-4, absolute: 2e-6 });
      }
    } finally {
      model.dispose();
    }
  });

  it('evaluate gives the loss without dropout and leaves gradients and parameters untouched', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', layers: 2, dropout: 0.5, vocabularySize: 5, hiddenSize: 4, seed: 4 });
    try {
      const random = seededRandom(5);
      const ids = () => Array.from({ length: 12 }, () => Math.floor(random() * 5));
      const batch = { timeSteps: 4, batchSize: 3, inputTokens: ids(), targets: ids() };
      await model.computeGradients(batch).loss();
      const gradients = await model.readGradients();
      const parameters = await model.readParameters();
      const loss = await model.evaluate({ ...batch, inputTokens: ids() }).loss();
      const again = await model.evaluate({ ...batch, inputTokens: ids() }).loss();
      expect(Number.isFinite(loss) && Number.isFinite(again)).toBe(true);
      const want = rnnForward(toFloat64(parameters), { cell: 'gru', layers: 2, inputSize: 5, hiddenSize: 4, outputSize: 5 }, batch);
      expect(Math.abs((await model.evaluate(batch).loss()) - want.loss) / want.loss).toBeLessThan(1e-5);
      expect(await model.readGradients()).toEqual(gradients);
      expect(await model.readParameters()).toEqual(parameters);
      expect(model.stepCount).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it("rejects resetRows without 'carry' and rows out of range", async () => {
    const model = await RnnModel.create(await contextFor(adapter), { vocabularySize: 5, hiddenSize: 4 });
    try {
      const batch = { timeSteps: 2, batchSize: 2, inputTokens: [0, 1, 2, 3] };
      await expect(model.predict({ ...batch, resetRows: [0] })).rejects.toThrow(/batch\.resetRows: given without initialHidden 'carry'/);
      await model.predict(batch);
      await expect(model.predict({ ...batch, initialHidden: 'carry', resetRows: [2] })).rejects.toThrow(/batch\.resetRows: element 0 is 2/);
    } finally {
      model.dispose();
    }
  });
});

describe('sampling and data', () => {
  it('top-k draws only among the k most likely classes, in proportion to their softmax weights', () => {
    const logits = [2, 0.5, 3, -1, 2.5];
    const random = seededRandom(11);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 20000; i++) counts[sampleFromLogits(logits, 1, random, 2)]++;
    expect(counts[0] + counts[1] + counts[3]).toBe(0);
    // Classes 2 and 4: weights e³ : e^2.5.
    expect(counts[2] / (counts[2] + counts[4])).toBeCloseTo(Math.exp(3) / (Math.exp(3) + Math.exp(2.5)), 1);
  });

  it('splits text into training and validation parts and shuffles with a seed', () => {
    expect(splitText('abcdefghij', 0.2)).toEqual({ training: 'abcdefgh', validation: 'ij' });
    expect(() => splitText('abc', 1)).toThrow(/validationFraction/);
    const order = shuffledOrder(100, 7);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffledOrder(100, 7)).toEqual(order);
    expect(shuffledOrder(100, 8)).not.toEqual(order);
  });
});

describe('vocabulary with the model', () => {
  it('travels in model-file metadata and decodes the same way', async () => {
    const { CharacterVocabulary } = await import('../src/index.ts');
    const vocabulary = CharacterVocabulary.fromText('héllo wörld\n');
    const again = CharacterVocabulary.fromMetadata({ ...vocabulary.toMetadata(), other: 'x' });
    expect(again.characters).toEqual(vocabulary.characters);
    expect(again.decode(vocabulary.encode('wörld'))).toBe('wörld');
    expect(() => CharacterVocabulary.fromMetadata({})).toThrow(/no 'vocabulary' field/);
    expect(() => CharacterVocabulary.fromMetadata({ vocabulary: '["ab"]' })).toThrow(/single characters/);
  });
});

describe.each(TEST_ADAPTERS)('epochs on %s', (adapter) => {
  it('trainEpoch takes one step per batch, reports progress, and returns the mean of every step\'s loss', async () => {
    const { CharacterVocabulary, TextBatches } = await import('../src/index.ts');
    const text = 'an epoch is one pass over the text. '.repeat(8);
    const vocabulary = CharacterVocabulary.fromText(text);
    const batches = new TextBatches(vocabulary.encode(text), 8, 4);
    const config = { cell: 'gru' as const, vocabularySize: vocabulary.size, hiddenSize: 8, seed: 4 };
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, config);
    const twin = await RnnModel.create(context, config);
    try {
      const progress: { step: number; stepsThisEpoch: number; loss: number }[] = [];
      const epoch = await model.trainEpoch(batches, { onProgress: (p) => progress.push(p), progressEvery: 3 });
      expect(epoch.steps).toBe(batches.batchesPerEpoch);
      expect(progress.map((p) => p.stepsThisEpoch)).toEqual(Array.from({ length: Math.floor(epoch.steps / 3) }, (_, i) => 3 * (i + 1)));
      // The same steps one by one give the same losses, bit for bit.
      const losses = [];
      for (const batch of batches) losses.push(await twin.trainStep(batch).loss());
      expect(epoch.meanLoss).toBe(losses.reduce((sum, loss) => sum + loss, 0) / losses.length);
      for (const p of progress) expect(p.loss).toBe(losses[p.stepsThisEpoch - 1]);
      const second = await model.trainEpoch(batches);
      expect(second.meanLoss).toBeLessThan(epoch.meanLoss);
      await expect(model.trainEpoch([])).rejects.toThrow(/batches: is empty/);
    } finally {
      model.dispose();
      twin.dispose();
    }
  });
});
