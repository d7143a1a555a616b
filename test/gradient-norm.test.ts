/**
 * The gradient norm of a gradients-only pass: computeGradients reports ‖g‖ of the
 * gradients it leaves (never clipped, whatever clipGradientNorm says), the same value a
 * training step on that batch reports before clipping; evaluate has no gradients.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel } from '../src/index.ts';
import { gradientNorm } from '../src/reference/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

function tokenBatch(seed: number) {
  const random = seededRandom(seed);
  const ids = () => Array.from({ length: 5 * 3 }, () => Math.floor(random() * 6));
  return { timeSteps: 5, batchSize: 3, inputTokens: ids(), targets: ids() };
}

describe.each(TEST_ADAPTERS)('gradient norm on %s', (adapter) => {
  it('computeGradients gives the norm of the unclipped gradients it leaves; a step on the same batch reports the same norm, then clips', async () => {
    const maxNorm = 0.01;
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', layers: 2, vocabularySize: 6, hiddenSize: 5, seed: 8, clipGradientNorm: maxNorm });
    try {
      const batch = tokenBatch(3);
      const parameters = await model.readParameters();
      const pass = model.computeGradients(batch);
      const norm = await pass.gradientNorm();
      const gradients = await model.readGradients();
      expect(norm).toBeGreaterThan(maxNorm); // so that clipping would have changed them
      expect(Math.abs(norm - gradientNorm(gradients)) / norm).toBeLessThan(1e-5);
      expect(await model.readParameters()).toEqual(parameters);
      expect(await model.readSkippedSteps()).toBe(0);

      const step = model.trainStep(batch);
      expect(await step.gradientNorm()).toBe(norm);
      // After a clipped step readGradients gives the clipped gradients, the ones the update used.
      expect(gradientNorm(await model.readGradients())).toBeCloseTo(maxNorm, 6);
      // A later pass's norm is its own, and the earlier one stays readable.
      const other = model.computeGradients(tokenBatch(4));
      expect(await other.gradientNorm()).toBeCloseTo(gradientNorm(await model.readGradients()), 5);
      expect(await pass.gradientNorm()).toBe(norm);
    } finally {
      model.dispose();
    }
  });

  it('evaluate has no gradient norm', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { vocabularySize: 6, hiddenSize: 5 });
    try {
      const result = model.evaluate(tokenBatch(1));
      expect(Number.isFinite(await result.loss())).toBe(true);
      await expect(result.gradientNorm()).rejects.toThrow(/evaluate computes no gradients/);
    } finally {
      model.dispose();
    }
  });
});
