/**
 * Generation on the GPU: tokens drawn by sample_token.wgsl step after step in one
 * submission. Greedy draws (top-1) follow the reference's argmax path; draws are
 * reproducible from the seed; top-k and temperature shape them.
 */
import { describe, expect, it } from 'vitest';
import { CharacterVocabulary, InvalidArgumentError, RnnModel, sampleText } from '../src/index.ts';
import { type ReferenceParameters, rnnForward } from '../src/reference/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const toFloat64 = (parameters: Record<string, Float32Array>): ReferenceParameters =>
  Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));

/** The greedy continuation by the reference: rerun the whole sequence each step and take the argmax. */
function referenceGreedy(parameters: ReferenceParameters, dims: Parameters<typeof rnnForward>[1], prime: number[], length: number): number[] {
  const sequence = [...prime];
  const V = dims.outputSize;
  for (let i = 0; i < length; i++) {
    const { logits } = rnnForward(parameters, dims, { timeSteps: sequence.length, batchSize: 1, inputTokens: sequence, targets: sequence });
    const last = Array.from(logits.subarray((sequence.length - 1) * V));
    sequence.push(last.indexOf(Math.max(...last)));
  }
  return sequence.slice(prime.length);
}

describe.each(TEST_ADAPTERS)('generation on %s', (adapter) => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}, 2 layers: top-1 draws follow the reference's greedy path from a prime`, async () => {
      const model = await RnnModel.create(await contextFor(adapter), { cell, layers: 2, vocabularySize: 6, hiddenSize: 8, seed: 21 });
      try {
        // Larger weights so that the greedy path is not one token repeated.
        const scaled = Object.fromEntries(Object.entries(await model.readParameters()).map(([name, v]) => [name, v.map((x) => x * 3)]));
        model.writeParameters(scaled);
        const prime = [1, 4, 2];
        const tokens = await model.generate({ primeTokens: prime, length: 12, topK: 1 });
        const dims = { cell: cell === 'rnn' ? ('rnn_tanh' as const) : cell, layers: 2, inputSize: 6, hiddenSize: 8, outputSize: 6 };
        expect(Array.from(tokens)).toEqual(referenceGreedy(toFloat64(await model.readParameters()), dims, prime, 12));
      } finally {
        model.dispose();
      }
    });
  }

  it('draws are reproducible from the seed, differ between seeds, and stay within the top k', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', vocabularySize: 8, hiddenSize: 6, seed: 2 });
    try {
      const a = await model.generate({ primeTokens: [3], length: 60, seed: 5 });
      const b = await model.generate({ primeTokens: [3], length: 60, seed: 5 });
      const c = await model.generate({ primeTokens: [3], length: 60, seed: 6 });
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
      expect(new Set(a).size).toBeGreaterThan(3); // temperature 1 over 8 tokens: varied
      // Top-2: every drawn token is one of the two most likely at its step (checked with the greedy runner-up).
      const top2 = await model.generate({ primeTokens: [3], length: 40, topK: 2, seed: 7 });
      const dims = { cell: 'gru' as const, inputSize: 8, hiddenSize: 6, outputSize: 8 };
      const parameters = toFloat64(await model.readParameters());
      const sequence = [3];
      for (const token of top2) {
        const { logits } = rnnForward(parameters, dims, { timeSteps: sequence.length, batchSize: 1, inputTokens: sequence, targets: sequence });
        const last = Array.from(logits.subarray((sequence.length - 1) * 8));
        const ranked = last.map((z, i) => [z, i] as const).sort((x, y) => y[0] - x[0]);
        expect([ranked[0][1], ranked[1][1]]).toContain(token);
        sequence.push(token);
      }
    } finally {
      model.dispose();
    }
  });

  it('sampleText decodes GPU draws; bad options are refused', async () => {
    const vocabulary = CharacterVocabulary.fromText('abcdef');
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'lstm', vocabularySize: vocabulary.size, hiddenSize: 5 });
    try {
      const text = await sampleText(model, vocabulary, { prime: 'ab', length: 30, temperature: 0.7, seed: 1 });
      expect(text).toHaveLength(30);
      expect([...text].every((character) => 'abcdef'.includes(character))).toBe(true);
      await expect(model.generate({ primeTokens: [], length: 3 })).rejects.toThrow(InvalidArgumentError);
      await expect(model.generate({ primeTokens: [9], length: 3 })).rejects.toThrow(/options\.primeTokens: element 0 is 9/);
      await expect(model.generate({ primeTokens: [1], length: 0 })).rejects.toThrow(/options\.length/);
    } finally {
      model.dispose();
    }
  });
});
