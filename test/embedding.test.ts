/**
 * A learned embedding in front of the recurrent layers (torch.nn.Embedding):
 * gradients of the embedding and every other parameter against the reference,
 * and weights saved and loaded with it.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel } from '../src/index.ts';
import { type ReferenceParameters, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const toFloat64 = (parameters: Record<string, Float32Array>): ReferenceParameters =>
  Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));

describe.each(TEST_ADAPTERS)('learned embedding on %s', (adapter) => {
  it('LSTM with a 3-wide embedding, 2 layers: every gradient matches the reference; weights round-trip', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'lstm', layers: 2, vocabularySize: 9, embeddingSize: 3, hiddenSize: 5, seed: 5 });
    try {
      expect(Object.keys(model.parameterShapes).slice(0, 2)).toEqual(['embedding.weight', 'weight_ih_l0']);
      expect(model.parameterShapes['weight_ih_l0']).toEqual([20, 3]);
      const random = seededRandom(8);
      const ids = () => Array.from({ length: 4 * 3 }, () => Math.floor(random() * 9));
      const batch = { timeSteps: 4, batchSize: 3, inputTokens: ids(), targets: ids() };
      const loss = await model.computeGradients(batch).loss();
      const dims = { cell: 'lstm' as const, layers: 2, inputSize: 9, embeddingSize: 3, hiddenSize: 5, outputSize: 9 };
      const want = rnnLossAndGradients(toFloat64(await model.readParameters()), dims, batch);
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name}`, gradients[name], want.gradients[name], { relative: 1e-4, absolute: 2e-6 });

      const loaded = await RnnModel.fromWeights(context, await model.saveWeights());
      expect(loaded.config.embeddingSize).toBe(3);
      const [a, b] = [await model.predict({ ...batch, targets: undefined }), await loaded.predict({ ...batch, targets: undefined })];
      expect(b.logits).toEqual(a.logits);
      loaded.dispose();
    } finally {
      model.dispose();
    }
  });

  it('refuses an embedding on a dense-input model', async () => {
    await expect(RnnModel.create(await contextFor(adapter), { inputSize: 3, outputSize: 2, embeddingSize: 4, hiddenSize: 5 })).rejects.toThrow(InvalidArgumentError);
  });
});
