// The float64 reference's backward against central finite differences: the language model
// (token and dense inputs, initial states), every cell with one and two layers, dense inputs and
// dropout masks, per-sequence lengths and ignored targets, and a learned embedding.
import { afterAll, describe, expect, it } from 'vitest';
import { centralDifferenceGradient, referenceParameterShapes, rnnBackward, rnnForward, rnnLossAndGradients, type ReferenceBatch, type ReferenceCell, type ReferenceDims } from '../src/reference/index.ts';
import { type Comparison, expectClose } from './check-close.ts';
import { seededRandom } from './random.ts';
import { randomParameters, FINITE_DIFFERENCE_STEP, finiteDifferenceGradients, maxAbs, T, B, H, V, makeCase, CELLS, type CellCaseOptions, makeCellCase, withinRelative } from './reference-cases.ts';

describe('rnnBackward matches central finite differences for every parameter element', () => {
  const cases = [
    { kind: 'tokens', withInitialHidden: false, seed: 1 },
    { kind: 'tokens', withInitialHidden: true, seed: 2 },
    { kind: 'dense', withInitialHidden: false, seed: 3 },
    { kind: 'dense', withInitialHidden: true, seed: 4 },
  ] as const;
  for (const { kind, withInitialHidden, seed } of cases) {
    it(`${kind} inputs, ${withInitialHidden ? 'with' : 'without'} initialHidden`, () => {
      const { dims, params, batch } = makeCase(kind, withInitialHidden, seed);
      const { gradients } = rnnLossAndGradients(params, dims, batch);
      const numeric = finiteDifferenceGradients(params, dims, batch);
      expect(Object.keys(gradients).sort()).toEqual(Object.keys(params).sort());
      for (const name of Object.keys(params)) {
        // a gradient that is all zero would match a broken finite difference trivially
        expect(maxAbs(gradients[name]), `${name} gradient is all ~0`).toBeGreaterThan(1e-2);
        expectClose(name, gradients[name], numeric[name], withinRelative(1e-6));
      }
    });
  }
});

const worstFiniteDifferenceError: Partial<Record<ReferenceCell, { error: number; where: string }>> = {};

function recordWorst(cell: ReferenceCell, where: string, comparison: Comparison): void {
  const worst = worstFiniteDifferenceError[cell];
  if (worst === undefined || comparison.maxRelative > worst.error) {
    worstFiniteDifferenceError[cell] = { error: comparison.maxRelative, where };
  }
}

/** Analytic gradients of every parameter and of the initial states against central differences. */
function expectGradientsMatchFiniteDifferences(options: CellCaseOptions): void {
  const { dims, params, batch } = makeCellCase(options);
  const label = `${options.cell} L=${options.layers} ${options.kind ?? 'tokens'}${options.withDropout ? ' dropout' : ''}`;
  const analytic = rnnLossAndGradients(params, dims, batch);
  const numeric = finiteDifferenceGradients(params, dims, batch);
  expect(Object.keys(analytic.gradients)).toEqual(Object.keys(referenceParameterShapes(dims)));
  for (const name of Object.keys(params)) {
    expect(maxAbs(analytic.gradients[name]), `${label}: ${name} gradient is all ~0`).toBeGreaterThan(1e-3);
    recordWorst(options.cell, `${label} ${name}`, expectClose(`${label} ${name}`, analytic.gradients[name], numeric[name], withinRelative(1e-6)));
  }
  const lossOf = () => rnnForward(params, dims, batch).loss;
  const dInitialHidden = centralDifferenceGradient(lossOf, batch.initialHidden as Float64Array, FINITE_DIFFERENCE_STEP);
  expect(maxAbs(analytic.dInitialHidden)).toBeGreaterThan(1e-3);
  recordWorst(options.cell, `${label} dInitialHidden`, expectClose(`${label} dInitialHidden`, analytic.dInitialHidden, dInitialHidden, withinRelative(1e-6)));
  if (options.cell === 'lstm') {
    const dInitialCell = centralDifferenceGradient(lossOf, batch.initialCell as Float64Array, FINITE_DIFFERENCE_STEP);
    expect(maxAbs(analytic.dInitialCell!)).toBeGreaterThan(1e-3);
    recordWorst(options.cell, `${label} dInitialCell`, expectClose(`${label} dInitialCell`, analytic.dInitialCell!, dInitialCell, withinRelative(1e-6)));
  } else {
    expect(analytic.dInitialCell).toBeUndefined();
  }
}

describe('every cell: backward matches central finite differences for every parameter and initial state', () => {
  let seed = 100;
  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      const options = { cell, layers, seed: seed++ };
      it(`${cell}, ${layers} layer${layers > 1 ? 's' : ''}, token inputs, random initial states`, () => {
        expectGradientsMatchFiniteDifferences(options);
      });
    }
  }
  for (const cell of ['lstm', 'gru'] as const) {
    const options = { cell, layers: 2, kind: 'dense', seed: seed++ } as const;
    it(`${cell}, 2 layers, dense inputs`, () => expectGradientsMatchFiniteDifferences(options));
  }
  for (const cell of CELLS) {
    const options = { cell, layers: 2, withDropout: true, seed: seed++ };
    it(`${cell}, 2 layers, dropout masks between the layers`, () => expectGradientsMatchFiniteDifferences(options));
  }
  afterAll(() => {
    if (process.env.REFERENCE_REPORT_FD === '1') console.log('worst FD relative error per cell', worstFiniteDifferenceError);
  });
});

describe('lengths and ignored targets', () => {
  it('gradients match finite differences with per-sequence lengths and ignored targets (LSTM, 2 layers)', () => {
    const { dims, params, batch } = makeCellCase({ cell: 'lstm', layers: 2, seed: 404 });
    const targets = Array.from(batch.targets!);
    targets[1] = -100; // t = 0, b = 1 ignored
    const withLengths: ReferenceBatch = { ...batch, targets, lengths: [4, 2] };
    const analytic = rnnLossAndGradients(params, dims, withLengths);
    const numeric = finiteDifferenceGradients(params, dims, withLengths);
    for (const name of Object.keys(params)) expectClose(`lengths ${name}`, analytic.gradients[name], numeric[name], withinRelative(1e-6));
  });

  it('positions past a length and ignored targets add nothing; the mean is over the rest', () => {
    const { dims, params, batch } = makeCellCase({ cell: 'gru', layers: 1, seed: 405 });
    const B = batch.batchSize;
    const T = batch.timeSteps;
    const lengths = [T, 2];
    const masked = rnnForward(params, dims, { ...batch, lengths });
    // The same loss by hand: mean of the per-position losses over t < lengths[b].
    const full = rnnForward(params, dims, batch);
    const V = dims.outputSize;
    let total = 0;
    let counted = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        if (t >= lengths[b]) continue;
        const row = full.logits.subarray((t * B + b) * V, (t * B + b + 1) * V);
        const max = Math.max(...row);
        const logSumExp = max + Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0));
        total += logSumExp - row[batch.targets![t * B + b]];
        counted++;
      }
    }
    expect(masked.loss).toBeCloseTo(total / counted, 12);
    // Sequence 1's final state is its state after step lengths[1] − 1 = 1 (slot 2).
    const H = dims.hiddenSize;
    expect(Array.from(masked.finalHidden.subarray(H, 2 * H))).toEqual(Array.from(full.hiddenStates.subarray(2 * B * H + H, 2 * B * H + 2 * H)));
  });
});

describe('learned embedding', () => {
  it('gradients of the embedding and every other parameter match finite differences (GRU, 2 layers, D = 3)', () => {
    const base = makeCellCase({ cell: 'gru', layers: 2, seed: 406 });
    const dims: ReferenceDims = { ...base.dims, embeddingSize: 3 };
    const random = seededRandom(407);
    const params = randomParameters(dims, random, 0.8);
    expect(Object.keys(referenceParameterShapes(dims))[0]).toBe('embedding.weight');
    expect(referenceParameterShapes(dims)['weight_ih_l0']).toEqual([3 * base.dims.hiddenSize, 3]);
    const analytic = rnnLossAndGradients(params, dims, base.batch);
    const numeric = finiteDifferenceGradients(params, dims, base.batch);
    for (const name of Object.keys(params)) expectClose(`embedding model ${name}`, analytic.gradients[name], numeric[name], withinRelative(1e-6));
    expect(maxAbs(analytic.gradients['embedding.weight'])).toBeGreaterThan(1e-3);
  });
});
