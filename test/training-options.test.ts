/**
 * The training options working together in the model: global-norm gradient
 * clipping on the GPU, learning-rate schedules and each optimizer, followed
 * step for step against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel, type RnnModelConfig } from '../src/index.ts';
import { clipGradientNorm, type ReferenceDims, ReferenceOptimizer, type ReferenceOptimizerOptions, type ReferenceParameters, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const DIMS: ReferenceDims = { cell: 'lstm', layers: 1, inputSize: 6, hiddenSize: 5, outputSize: 6 };

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

function batch(seed: number) {
  const random = seededRandom(seed);
  const ids = () => Uint32Array.from({ length: 12 }, () => Math.floor(random() * 6));
  return { timeSteps: 4, batchSize: 3, inputTokens: ids(), targets: ids() };
}

describe.each(TEST_ADAPTERS)('training options on %s', (adapter) => {
  const cases: [string, RnnModelConfig['optimizer'], RnnModelConfig['schedule'], number | undefined][] = [
    ['SGD + Nesterov, cosine warm-up, clipping that bites', { type: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true, weightDecay: 0.01 }, { type: 'cosine', warmupSteps: 3, totalSteps: 10 }, 0.05],
    ['AdamW, step schedule, clipping that does not bite', { type: 'adamw', learningRate: 0.02 }, { type: 'step', stepSize: 4, gamma: 0.5 }, 100],
    ['RMSprop with momentum, no clipping', { type: 'rmsprop', learningRate: 0.01, momentum: 0.5, weightDecay: 0.02 }, undefined, undefined],
  ];
  for (const [name, optimizer, schedule, clip] of cases) {
    it(`${name}: 10 steps follow the reference`, async () => {
      const model = await RnnModel.create(await contextFor(adapter), {
        cell: 'lstm', vocabularySize: 6, hiddenSize: 5, seed: 2, optimizer, ...(schedule ? { schedule } : {}), ...(clip ? { clipGradientNorm: clip } : {}),
      });
      try {
        const parameters = toFloat64(await model.readParameters());
        const reference = new ReferenceOptimizer(optimizer as ReferenceOptimizerOptions);
        const results = [];
        const wantNorms: number[] = [];
        for (let step = 1; step <= 10; step++) {
          const data = batch(step % 3);
          results.push(model.trainStep(data));
          const { gradients } = rnnLossAndGradients(parameters, DIMS, data);
          wantNorms.push(clip ? clipGradientNorm(gradients, clip) : Number.NaN);
          reference.step(parameters, gradients, model.learningRateAt(step));
        }
        const after = await model.readParameters();
        for (const parameter of Object.keys(parameters)) expectClose(`${parameter} after 10 steps`, after[parameter], parameters[parameter], { relative: 1e-4, absolute: 1e-5 });
        if (clip) {
          const norms = await Promise.all(results.map((result) => result.gradientNorm()));
          expectClose('gradient norms before clipping', norms, wantNorms, { relative: 1e-4, absolute: 0 });
          if (clip < 1) expect(Math.min(...norms)).toBeGreaterThan(clip); // every step was clipped
        } else {
          // Without clipping the norm is still computed (the non-finite guard needs it).
          expect(Number.isFinite(await results[0].gradientNorm())).toBe(true);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('clipping scales the gradients in place, as clip_grad_norm_ does', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'lstm', vocabularySize: 6, hiddenSize: 5, seed: 4, clipGradientNorm: 0.01, optimizer: { type: 'sgd', learningRate: 0.1 } });
    try {
      const parameters = toFloat64(await model.readParameters());
      const data = batch(9);
      const result = model.trainStep(data);
      const { gradients } = rnnLossAndGradients(parameters, DIMS, data);
      const norm = clipGradientNorm(gradients, 0.01);
      expect(Math.abs((await result.gradientNorm()) - norm) / norm).toBeLessThan(1e-5);
      const got = await model.readGradients();
      let clippedNorm = 0;
      for (const [parameter, values] of Object.entries(got)) {
        expectClose(`clipped gradient ${parameter}`, values, gradients[parameter], { relative: 1e-4, absolute: 1e-9 });
        for (const v of values) clippedNorm += v * v;
      }
      expect(Math.sqrt(clippedNorm)).toBeCloseTo(0.01, 6);
    } finally {
      model.dispose();
    }
  });
});
