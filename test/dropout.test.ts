/**
 * Dropout between stacked layers: during training each layer's output but the
 * top one's is masked (kept with probability 1 − p, scaled by 1/(1 − p)); the
 * GPU's masks are the ones the CPU reproduces, gradients match the reference
 * given those masks, and evaluation uses every unit.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type RnnModelConfig } from '../src/index.ts';
import { dropoutKey, dropoutMask } from '../src/model/dropout.ts';
import { type ReferenceParameters, rnnForward, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const TOLERANCE = { relative: 1e-4, absolute: 2e-6 };

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

function tokenBatch(seed: number, timeSteps: number, batchSize: number, vocabulary: number) {
  const random = seededRandom(seed);
  const ids = () => Uint32Array.from({ length: timeSteps * batchSize }, () => Math.floor(random() * vocabulary));
  return { timeSteps, batchSize, inputTokens: ids(), targets: ids() };
}

describe('dropout masks', () => {
  it('drop a fraction p of the units, scale the rest by 1/(1 − p), and differ between runs and layers', () => {
    const p = 0.3;
    const count = 20_000;
    const mask = dropoutMask(dropoutKey(7, 0, 0), count, p);
    const dropped = mask.filter((m) => m === 0).length / count;
    expect(dropped).toBeGreaterThan(p - 0.015);
    expect(dropped).toBeLessThan(p + 0.015);
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / (1 - p))]));
    const sameAgain = dropoutMask(dropoutKey(7, 0, 0), count, p);
    expect(sameAgain).toEqual(mask);
    for (const other of [dropoutKey(7, 1, 0), dropoutKey(7, 0, 1), dropoutKey(8, 0, 0)]) {
      const agreement = dropoutMask(other, count, p).filter((m, i) => m === mask[i]).length / count;
      // Independent masks agree where both keep or both drop: (1 − p)² + p² = 0.58.
      expect(agreement).toBeLessThan(0.62);
    }
  });
});

describe.each(TEST_ADAPTERS)('dropout on %s', (adapter) => {
  for (const [cell, layers] of [['lstm', 2], ['gru', 3], ['rnn', 2]] as const) {
    it(`${cell}, ${layers} layers: training gradients match the reference given the same masks; evaluation uses every unit`, async () => {
      const config: RnnModelConfig = { cell, layers, vocabularySize: 6, hiddenSize: 7, dropout: 0.4, seed: 9 };
      const model = await RnnModel.create(await contextFor(adapter), config);
      try {
        const dims = { cell: cell === 'rnn' ? ('rnn_tanh' as const) : cell, layers, inputSize: 6, hiddenSize: 7, outputSize: 6 };
        const parameters = toFloat64(await model.readParameters());
        const masksSeen: Float32Array[][] = [];
        for (let run = 0; run < 2; run++) {
          const batch = tokenBatch(40 + run, 4, 3, 6);
          const loss = await model.computeGradients(batch).loss();
          const masks = model.lastDropoutMasks();
          expect(masks).toHaveLength(layers - 1);
          masksSeen.push(masks);
          const want = rnnLossAndGradients(parameters, dims, { ...batch, dropoutMasks: masks });
          expect(Math.abs(loss - want.loss) / want.loss, `run ${run} loss ${loss} vs ${want.loss}`).toBeLessThan(1e-5);
          const gradients = await model.readGradients();
          for (const name of Object.keys(want.gradients)) expectClose(`run ${run} gradient ${name}`, gradients[name], want.gradients[name], TOLERANCE);
        }
        expect(masksSeen[1][0]).not.toEqual(masksSeen[0][0]);

        const batch = tokenBatch(50, 4, 3, 6);
        const { logits } = await model.predict({ ...batch, targets: undefined });
        expectClose('evaluation logits (no dropout)', logits, rnnForward(parameters, dims, batch).logits, TOLERANCE);
        expect(model.lastDropoutMasks()).toEqual(masksSeen[1]);
      } finally {
        model.dispose();
      }
    });
  }

  it('rejects a dropout probability outside [0, 1)', async () => {
    const context = await contextFor(adapter);
    for (const dropout of [1, -0.1, Number.NaN]) {
      await expect(RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2, layers: 2, dropout })).rejects.toThrow(InvalidArgumentError);
    }
  });
});
