// The float64 CPU reference proven on its own: every backward (every cell, one and two layers,
// initial states, dropout masks) against central finite differences, one step of each cell
// and the optimizers against hand-written numbers, matmul against a plain triple loop.
import { seededRandom } from './random.ts';
import { afterAll, describe, expect, it } from 'vitest';
import {
  centralDifferenceGradient,
  columnSums,
  GATES_PER_CELL,
  matmulReference,
  referenceParameterShapes,
  ReferenceOptimizer,
  rnnBackward,
  rnnForward,
  rnnLossAndGradients,
  sigmoid,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  tanhBackward,
  tanhForward,
  zeroGradients,
  type ReferenceBatch,
  type ReferenceCell,
  type ReferenceDims,
  type ReferenceParameters,
} from '../src/reference/index.ts';

// ---------------------------------------------------------------------------------------
// Helpers

/** Uniform in [−scale, scale). */
function randomArray(random: () => number, length: number, scale: number): Float64Array {
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = (2 * random() - 1) * scale;
  return values;
}

function randomIntegers(random: () => number, length: number, count: number): number[] {
  return Array.from({ length }, () => Math.floor(random() * count));
}

function randomParameters(dims: ReferenceDims, random: () => number, scale: number): ReferenceParameters {
  const params: ReferenceParameters = {};
  for (const [name, shape] of Object.entries(referenceParameterShapes(dims))) {
    params[name] = randomArray(random, shape.reduce((a, b) => a * b, 1), scale);
  }
  return params;
}

/**
 * Relative error |a − b| / max(|a|, |b|, floor). A central difference with step h carries an
 * absolute error of about ε·|L|/h (rounding in L(x ± h)) plus h²·|L'''|/6 (truncation). For
 * these losses (L ≈ 2) that is smallest near h = 1e-5, where it measures 3e-11..6e-11
 * (h = 1e-6 gives 3e-10..6e-10). Below the floor a relative comparison would measure that
 * noise rather than a bug, so gradient elements under 1e-3 are held to 1e-9 absolute instead.
 */
const RELATIVE_ERROR_FLOOR = 1e-3;
const FINITE_DIFFERENCE_STEP = 1e-5;

interface Comparison {
  maxRelativeError: number;
  maxAbsoluteError: number;
  worstIndex: number;
  firstNaNIndex: number; // −1 when there is none
}

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  expect(actual.length).toBe(expected.length);
  const result: Comparison = { maxRelativeError: 0, maxAbsoluteError: 0, worstIndex: -1, firstNaNIndex: -1 };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (result.firstNaNIndex < 0) result.firstNaNIndex = i;
      continue;
    }
    const absoluteError = Math.abs(a - b);
    const relativeError = absoluteError / Math.max(Math.abs(a), Math.abs(b), RELATIVE_ERROR_FLOOR);
    result.maxAbsoluteError = Math.max(result.maxAbsoluteError, absoluteError);
    if (relativeError > result.maxRelativeError || result.worstIndex < 0) {
      result.maxRelativeError = relativeError;
      result.worstIndex = i;
    }
  }
  return result;
}

function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): Comparison {
  const c = compare(actual, expected);
  const where = `${name}[${c.worstIndex}]: got ${actual[c.worstIndex]}, expected ${expected[c.worstIndex]}`;
  expect(c.firstNaNIndex, `${name} has NaN at index ${c.firstNaNIndex}`).toBe(-1);
  expect(c.maxRelativeError, `max relative error ${c.maxRelativeError} at ${where}`).toBeLessThan(tolerance);
  return c;
}

/** dLoss/dθ for every element of every parameter by central differences. */
function finiteDifferenceGradients(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): ReferenceParameters {
  const gradients: ReferenceParameters = {};
  for (const name of Object.keys(params)) {
    gradients[name] = centralDifferenceGradient(() => rnnForward(params, dims, batch).loss, params[name], FINITE_DIFFERENCE_STEP);
  }
  return gradients;
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

// ---------------------------------------------------------------------------------------
// RNN language model

const T = 5;
const B = 3;
const H = 4;
const V = 6;

function makeCase(kind: 'tokens' | 'dense', withInitialHidden: boolean, seed: number) {
  const random = seededRandom(seed);
  const dims: ReferenceDims = { inputSize: kind === 'tokens' ? 5 : 3, hiddenSize: H, outputSize: V };
  const params = randomParameters(dims, random, 0.5);
  const batch: ReferenceBatch = {
    timeSteps: T,
    batchSize: B,
    targets: randomIntegers(random, T * B, V),
    ...(kind === 'tokens'
      ? { inputTokens: randomIntegers(random, T * B, dims.inputSize) }
      : { inputs: randomArray(random, T * B * dims.inputSize, 1) }),
    ...(withInitialHidden ? { initialHidden: randomArray(random, B * H, 0.8) } : {}),
  };
  return { dims, params, batch };
}

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
        expectClose(name, gradients[name], numeric[name], 1e-6);
      }
    });
  }
});

describe('rnnForward / rnnBackward', () => {
  it('computes a 1-unit, 2-step network as written out by hand', () => {
    const dims = { inputSize: 1, hiddenSize: 1, outputSize: 2 };
    const params: ReferenceParameters = {
      weight_ih_l0: Float64Array.of(0.5),
      weight_hh_l0: Float64Array.of(-0.3),
      bias_ih_l0: Float64Array.of(0.1),
      bias_hh_l0: Float64Array.of(0.2),
      weight: Float64Array.of(1.5, -0.7),
      bias: Float64Array.of(0.05, -0.05),
    };
    const batch = { timeSteps: 2, batchSize: 1, inputs: [1.0, -2.0], targets: [0, 1], initialHidden: [0.4] };
    const h0 = Math.tanh(0.5 * 1.0 + 0.1 + -0.3 * 0.4 + 0.2);
    const h1 = Math.tanh(0.5 * -2.0 + 0.1 + -0.3 * h0 + 0.2);
    const y0 = [1.5 * h0 + 0.05, -0.7 * h0 - 0.05];
    const y1 = [1.5 * h1 + 0.05, -0.7 * h1 - 0.05];
    const loss0 = -y0[0] + Math.log(Math.exp(y0[0]) + Math.exp(y0[1]));
    const loss1 = -y1[1] + Math.log(Math.exp(y1[0]) + Math.exp(y1[1]));

    const forward = rnnForward(params, dims, batch);
    expect(Array.from(forward.hiddenStates)).toEqual([0.4, h0, h1]);
    expect(Array.from(forward.finalHidden)).toEqual([h1]);
    expectClose('logits', forward.logits, [...y0, ...y1], 1e-15);
    expect(forward.loss).toBeCloseTo((loss0 + loss1) / 2, 14);
  });

  it('token ids give the same loss and gradients as one-hot dense inputs', () => {
    const { dims, params, batch } = makeCase('tokens', true, 5);
    const tokens = batch.inputTokens!;
    const oneHot = new Float64Array(T * B * dims.inputSize);
    for (let n = 0; n < T * B; n++) oneHot[n * dims.inputSize + tokens[n]] = 1;
    const { inputTokens: _unused, ...rest } = batch;
    const dense = rnnLossAndGradients(params, dims, { ...rest, inputs: oneHot });
    const token = rnnLossAndGradients(params, dims, batch);
    expect(token.loss).toBeCloseTo(dense.loss, 14);
    expectClose('hiddenStates', token.hiddenStates, dense.hiddenStates, 1e-14);
    for (const name of Object.keys(params)) expectClose(name, token.gradients[name], dense.gradients[name], 1e-12);
  });

  it('keeps the initial state in slot 0 and returns h_{T-1} as finalHidden', () => {
    const { dims, params, batch } = makeCase('dense', true, 6);
    const forward = rnnForward(params, dims, batch);
    expect(forward.hiddenStates.length).toBe((T + 1) * B * H);
    expect(forward.logits.length).toBe(T * B * V);
    expect(Array.from(forward.hiddenStates.subarray(0, B * H))).toEqual(Array.from(batch.initialHidden!));
    expect(Array.from(forward.finalHidden)).toEqual(Array.from(forward.hiddenStates.subarray(T * B * H)));
    expect(forward.loss).toBe(softmaxCrossEntropyForward(forward.logits, batch.targets!, T * B, V).loss);
    // without initialHidden, slot 0 is zero and the result differs
    const { initialHidden: _unused, ...rest } = batch;
    const fromZero = rnnForward(params, dims, rest);
    expect(maxAbs(fromZero.hiddenStates.subarray(0, B * H))).toBe(0);
    expect(fromZero.loss).not.toBe(forward.loss);
  });

  it('adds into the gradients it is given', () => {
    const { dims, params, batch } = makeCase('tokens', false, 7);
    const forward = rnnForward(params, dims, batch);
    const once = zeroGradients(dims);
    rnnBackward(params, dims, batch, forward, once);
    const twice = zeroGradients(dims);
    rnnBackward(params, dims, batch, forward, twice);
    rnnBackward(params, dims, batch, forward, twice);
    for (const name of Object.keys(once)) {
      expectClose(name, twice[name], once[name].map((g) => 2 * g), 1e-15);
    }
  });

  it('names parameters as a PyTorch state_dict, with zero gradients of the same shapes', () => {
    const shapes = referenceParameterShapes({ inputSize: 5, hiddenSize: 4, outputSize: 6 });
    expect(shapes).toEqual({
      weight_ih_l0: [4, 5],
      weight_hh_l0: [4, 4],
      bias_ih_l0: [4],
      bias_hh_l0: [4],
      weight: [6, 4],
      bias: [6],
    });
    const gradients = zeroGradients({ inputSize: 5, hiddenSize: 4, outputSize: 6 });
    expect(Object.fromEntries(Object.entries(gradients).map(([k, g]) => [k, [g.length, maxAbs(g)]]))).toEqual({
      weight_ih_l0: [20, 0],
      weight_hh_l0: [16, 0],
      bias_ih_l0: [4, 0],
      bias_hh_l0: [4, 0],
      weight: [24, 0],
      bias: [6, 0],
    });
  });
});

// ---------------------------------------------------------------------------------------
// Every cell, stacked layers, states in and out, dropout masks

const CELLS: ReferenceCell[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
const SMALL = { I: 5, H: 3, V: 4, T: 4, B: 2 };

interface CellCaseOptions {
  cell: ReferenceCell;
  layers: number;
  kind?: 'tokens' | 'dense';
  withDropout?: boolean;
  seed: number;
}

/** Random parameters, inputs, targets, initial states (and, if asked, dropout masks with p = 0.3). */
function makeCellCase({ cell, layers, kind = 'tokens', withDropout = false, seed }: CellCaseOptions) {
  const { I, H, V, T: steps, B: rows } = SMALL;
  const random = seededRandom(seed);
  const dims: ReferenceDims = { inputSize: I, hiddenSize: H, outputSize: V, cell, layers };
  const params = randomParameters(dims, random, 0.8);
  const states = layers * rows * H;
  const batch: ReferenceBatch = {
    timeSteps: steps,
    batchSize: rows,
    targets: randomIntegers(random, steps * rows, V),
    ...(kind === 'tokens'
      ? { inputTokens: randomIntegers(random, steps * rows, I) }
      : { inputs: randomArray(random, steps * rows * I, 1) }),
    initialHidden: randomArray(random, states, 0.8),
    ...(cell === 'lstm' ? { initialCell: randomArray(random, states, 1.5) } : {}),
  };
  if (withDropout) {
    const keep = 1 / (1 - 0.3);
    batch.dropoutMasks = Array.from({ length: layers - 1 }, () =>
      Float64Array.from({ length: steps * rows * H }, () => (random() < 0.3 ? 0 : keep)),
    );
  }
  return { dims, params, batch };
}

/** Worst FD relative error seen per cell, over every case below (for the record; see the log). */
const worstFiniteDifferenceError: Partial<Record<ReferenceCell, { error: number; where: string }>> = {};

function recordWorst(cell: ReferenceCell, where: string, comparison: Comparison): void {
  const worst = worstFiniteDifferenceError[cell];
  if (worst === undefined || comparison.maxRelativeError > worst.error) {
    worstFiniteDifferenceError[cell] = { error: comparison.maxRelativeError, where };
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
    recordWorst(options.cell, `${label} ${name}`, expectClose(`${label} ${name}`, analytic.gradients[name], numeric[name], 1e-6));
  }
  const lossOf = () => rnnForward(params, dims, batch).loss;
  const dInitialHidden = centralDifferenceGradient(lossOf, batch.initialHidden as Float64Array, FINITE_DIFFERENCE_STEP);
  expect(maxAbs(analytic.dInitialHidden)).toBeGreaterThan(1e-3);
  recordWorst(options.cell, `${label} dInitialHidden`, expectClose(`${label} dInitialHidden`, analytic.dInitialHidden, dInitialHidden, 1e-6));
  if (options.cell === 'lstm') {
    const dInitialCell = centralDifferenceGradient(lossOf, batch.initialCell as Float64Array, FINITE_DIFFERENCE_STEP);
    expect(maxAbs(analytic.dInitialCell!)).toBeGreaterThan(1e-3);
    recordWorst(options.cell, `${label} dInitialCell`, expectClose(`${label} dInitialCell`, analytic.dInitialCell!, dInitialCell, 1e-6));
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

describe('saturated gates over a long sequence stay finite', () => {
  for (const cell of CELLS) {
    it(`${cell}: every parameter ±5, T = 200, 2 layers`, () => {
      const random = seededRandom(200 + CELLS.indexOf(cell));
      const { I, H, V, B: rows } = SMALL;
      const steps = 200;
      const dims: ReferenceDims = { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: 2 };
      const params = randomParameters(dims, random, 1);
      for (const p of Object.values(params)) for (let i = 0; i < p.length; i++) p[i] = p[i] < 0 ? -5 : 5;
      const batch: ReferenceBatch = {
        timeSteps: steps,
        batchSize: rows,
        inputs: randomArray(random, steps * rows * I, 1),
        targets: randomIntegers(random, steps * rows, V),
        initialHidden: randomArray(random, 2 * rows * H, 1),
        ...(cell === 'lstm' ? { initialCell: randomArray(random, 2 * rows * H, 1) } : {}),
      };
      const result = rnnLossAndGradients(params, dims, batch);
      const everyFinite = (values: ArrayLike<number>) => Array.prototype.every.call(values, Number.isFinite);
      expect(Number.isFinite(result.loss), `loss ${result.loss}`).toBe(true);
      for (const [name, values] of Object.entries({
        logits: result.logits,
        hiddenStates: result.hiddenStates,
        finalHidden: result.finalHidden,
        dInitialHidden: result.dInitialHidden,
        ...(cell === 'lstm' ? { finalCell: result.finalCell!, dInitialCell: result.dInitialCell! } : {}),
        ...result.gradients,
      })) {
        expect(everyFinite(values), `${cell}: ${name} has a non-finite value`).toBe(true);
      }
      const forward = rnnForward(params, dims, batch);
      forward.layers.forEach((layer, k) => {
        if (cell === 'rnn_relu') {
          // relu has no gate to saturate: a live unit grows about 5× a step, ~1e140 by T = 200, which
          // float64 still holds (it overflows near T = 440; float32 near T = 55)
          expect(maxAbs(layer.hiddenStates), `layer ${k}`).toBeGreaterThan(1e100);
        } else {
          // the test exercises saturation: many gates within 1e-6 of a bound of their activation
          const saturated = layer.gates.filter((v) => Math.abs(v) < 1e-6 || Math.abs(v) > 1 - 1e-6).length;
          expect(saturated / layer.gates.length, `layer ${k}: fraction of saturated gates`).toBeGreaterThan(0.1);
        }
      });
    });
  }
});

describe('one step of each cell, written out by hand', () => {
  const sigma = (x: number) => 1 / (1 + Math.exp(-x));
  /** −log softmax([y0, y1])[target] and dLoss/dy for one position. */
  function crossEntropy(y: number[], target: number) {
    const sum = Math.exp(y[0]) + Math.exp(y[1]);
    const p = [Math.exp(y[0]) / sum, Math.exp(y[1]) / sum];
    return { loss: -Math.log(p[target]), dLogits: p.map((pc, c) => pc - (c === target ? 1 : 0)) };
  }
  const head = { weight: Float64Array.of(1.3, -0.6), bias: Float64Array.of(0.1, -0.2) };
  const x = 0.7;
  const h0 = -0.4; // h_{−1}

  it('LSTM (H = 1, I = 1): gates i, f, g, o in that order, c and h, loss, and four gradients', () => {
    const dims: ReferenceDims = { inputSize: 1, hiddenSize: 1, outputSize: 2, cell: 'lstm' };
    // a different value for every gate, so any permutation of i, f, g, o changes the result
    const params: ReferenceParameters = {
      weight_ih_l0: Float64Array.of(0.5, -0.8, 1.1, 0.3), // i, f, g, o
      weight_hh_l0: Float64Array.of(-0.2, 0.6, 0.4, -0.9),
      bias_ih_l0: Float64Array.of(0.1, 0.7, -0.3, 0.2),
      bias_hh_l0: Float64Array.of(-0.05, 0.25, 0.15, 0.35),
      ...head,
    };
    const c0 = 0.9; // c_{−1}
    const i = sigma(0.5 * x + 0.1 + -0.2 * h0 + -0.05);
    const f = sigma(-0.8 * x + 0.7 + 0.6 * h0 + 0.25);
    const g = Math.tanh(1.1 * x - 0.3 + 0.4 * h0 + 0.15);
    const o = sigma(0.3 * x + 0.2 + -0.9 * h0 + 0.35);
    const c = f * c0 + i * g;
    const h = o * Math.tanh(c);
    const y = [1.3 * h + 0.1, -0.6 * h - 0.2];
    const { loss, dLogits } = crossEntropy(y, 1);

    const batch = { timeSteps: 1, batchSize: 1, inputs: [x], targets: [1], initialHidden: [h0], initialCell: [c0] };
    const result = rnnLossAndGradients(params, dims, batch);
    expect(result.hiddenStates[1]).toBeCloseTo(h, 15);
    expect(result.finalHidden[0]).toBeCloseTo(h, 15);
    expect(result.finalCell![0]).toBeCloseTo(c, 15);
    expect(result.loss).toBeCloseTo(loss, 14);

    // dh = Σ_c dy_c W_y[c];  dc = dh·o·(1 − tanh²c);  then through each gate's activation
    const dh = dLogits[0] * 1.3 + dLogits[1] * -0.6;
    const dc = dh * o * (1 - Math.tanh(c) ** 2);
    const dPreactivation = [dc * g * i * (1 - i), dc * c0 * f * (1 - f), dc * i * (1 - g * g), dh * Math.tanh(c) * o * (1 - o)];
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, dPreactivation, 1e-13);
    expectClose('dweight_ih_l0', result.gradients.weight_ih_l0, dPreactivation.map((d) => d * x), 1e-13);
    expectClose('dInitialCell', result.dInitialCell!, [dc * f], 1e-13);
    const dh0 = dPreactivation[0] * -0.2 + dPreactivation[1] * 0.6 + dPreactivation[2] * 0.4 + dPreactivation[3] * -0.9;
    expectClose('dInitialHidden', result.dInitialHidden, [dh0], 1e-13);
  });

  it('GRU (H = 1, I = 1): gates r, z, n in that order, with b_hn inside r ⊙ (W_hn h + b_hn)', () => {
    const dims: ReferenceDims = { inputSize: 1, hiddenSize: 1, outputSize: 2, cell: 'gru' };
    const params: ReferenceParameters = {
      weight_ih_l0: Float64Array.of(0.5, -0.8, 1.1), // r, z, n
      weight_hh_l0: Float64Array.of(-0.2, 0.6, 0.4),
      bias_ih_l0: Float64Array.of(0.1, 0.7, -1.2),
      bias_hh_l0: Float64Array.of(-0.05, 0.25, 1.5), // b_hn = 1.5, far from 0
      ...head,
    };
    const r = sigma(0.5 * x + 0.1 + -0.2 * h0 + -0.05);
    const z = sigma(-0.8 * x + 0.7 + 0.6 * h0 + 0.25);
    const n = Math.tanh(1.1 * x - 1.2 + r * (0.4 * h0 + 1.5));
    const h = (1 - z) * n + z * h0;
    const y = [1.3 * h + 0.1, -0.6 * h - 0.2];
    const { loss, dLogits } = crossEntropy(y, 0);
    // the placement of b_hn matters by much more than the tolerance: r is about 0.62
    expect(r).toBeLessThan(0.7);
    const hWithBiasOutside = (1 - z) * Math.tanh(1.1 * x - 1.2 + r * 0.4 * h0 + 1.5) + z * h0;
    expect(Math.abs(hWithBiasOutside - h)).toBeGreaterThan(0.1);

    const batch = { timeSteps: 1, batchSize: 1, inputs: [x], targets: [0], initialHidden: [h0] };
    const result = rnnLossAndGradients(params, dims, batch);
    expect(result.hiddenStates[1]).toBeCloseTo(h, 15);
    expect(result.finalHidden[0]).toBeCloseTo(h, 15);
    expect(result.finalCell).toBeUndefined();
    expect(result.loss).toBeCloseTo(loss, 14);

    const dh = dLogits[0] * 1.3 + dLogits[1] * -0.6;
    const dn = dh * (1 - z) * (1 - n * n);
    const dz = dh * (h0 - n) * z * (1 - z);
    const dr = dn * (0.4 * h0 + 1.5) * r * (1 - r);
    // the input side sees dñₓ = dn; the hidden side sees r·dn in the n block
    expectClose('dbias_ih_l0', result.gradients.bias_ih_l0, [dr, dz, dn], 1e-13);
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, [dr, dz, dn * r], 1e-13);
    expectClose('dweight_hh_l0', result.gradients.weight_hh_l0, [dr * h0, dz * h0, dn * r * h0], 1e-13);
    expectClose('dInitialHidden', result.dInitialHidden, [dh * z + dr * -0.2 + dz * 0.6 + dn * r * 0.4], 1e-13);
  });

  it('RNN relu (H = 1, I = 1): h = max(0, ·), zero gradient where the unit is off', () => {
    const dims: ReferenceDims = { inputSize: 1, hiddenSize: 1, outputSize: 2, cell: 'rnn_relu' };
    const params: ReferenceParameters = {
      weight_ih_l0: Float64Array.of(0.5),
      weight_hh_l0: Float64Array.of(-0.3),
      bias_ih_l0: Float64Array.of(0.1),
      bias_hh_l0: Float64Array.of(0.2),
      ...head,
    };
    const batch = { timeSteps: 2, batchSize: 1, inputs: [1.0, -2.0], targets: [0, 1], initialHidden: [0.4] };
    const first = Math.max(0, 0.5 * 1.0 + 0.1 + -0.3 * 0.4 + 0.2); // 0.68: on
    const second = Math.max(0, 0.5 * -2.0 + 0.1 + -0.3 * first + 0.2); // −0.904 → 0: off
    const result = rnnLossAndGradients(params, dims, batch);
    expectClose('hiddenStates', result.hiddenStates, [0.4, first, 0], 1e-15);
    expect(second).toBe(0);
    // only step 0 passes gradient into the cell: db = dh_0 (step 1 is off, so nothing flows back from it)
    const { dLogits } = crossEntropy([1.3 * first + 0.1, -0.6 * first - 0.2], 0);
    const dh = (dLogits[0] * 1.3 + dLogits[1] * -0.6) / 2; // mean over T·B = 2 positions
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, [dh], 1e-13);
    expectClose('dweight_ih_l0', result.gradients.weight_ih_l0, [dh * 1.0], 1e-13);
  });
});

describe('stacked layers, states and dropout masks', () => {
  /** Layer k's four tensors, renamed to layer 0's, plus the given head. */
  function layerAsSingle(params: ReferenceParameters, k: number, head: ReferenceParameters): ReferenceParameters {
    return {
      weight_ih_l0: params[`weight_ih_l${k}`],
      weight_hh_l0: params[`weight_hh_l${k}`],
      bias_ih_l0: params[`bias_ih_l${k}`],
      bias_hh_l0: params[`bias_hh_l${k}`],
      ...head,
    };
  }

  for (const cell of CELLS) {
    it(`${cell}: two layers equal two one-layer models fed one into the other through the mask`, () => {
      const { dims, params, batch } = makeCellCase({ cell, layers: 2, kind: 'dense', withDropout: true, seed: 300 });
      const { I, H, B: rows, T: steps } = SMALL;
      const BH = rows * H;
      const stacked = rnnForward(params, dims, batch);
      const layerBatch = (k: number, inputs: ArrayLike<number>): ReferenceBatch => ({
        timeSteps: steps,
        batchSize: rows,
        inputs,
        targets: batch.targets,
        initialHidden: Array.from(batch.initialHidden!).slice(k * BH, (k + 1) * BH),
        ...(cell === 'lstm' ? { initialCell: Array.from(batch.initialCell!).slice(k * BH, (k + 1) * BH) } : {}),
      });
      const head = { weight: params.weight, bias: params.bias };
      const bottom = rnnForward(layerAsSingle(params, 0, head), { ...dims, layers: 1 }, layerBatch(0, batch.inputs!));
      const mask = batch.dropoutMasks![0];
      const masked = bottom.hiddenStates.slice(BH).map((h, i) => h * mask[i]);
      const top = rnnForward(layerAsSingle(params, 1, head), { ...dims, inputSize: H, layers: 1 }, layerBatch(1, masked));
      expect(I).not.toBe(H); // so a mix-up of I_0 and I_1 could not pass
      expectClose('layer 0 hiddenStates', stacked.layers[0].hiddenStates, bottom.hiddenStates, 1e-15);
      expectClose('top hiddenStates', stacked.hiddenStates, top.hiddenStates, 1e-15);
      expectClose('logits', stacked.logits, top.logits, 1e-15);
      expect(stacked.loss).toBe(top.loss);
      // states are layer-major [L, B, H], and finalHidden is the unmasked h_{T−1}
      expectClose('finalHidden', stacked.finalHidden, [...bottom.finalHidden, ...top.finalHidden], 1e-15);
      if (cell === 'lstm') expectClose('finalCell', stacked.finalCell!, [...bottom.finalCell!, ...top.finalCell!], 1e-15);
      else expect(stacked.finalCell).toBeUndefined();
    });
  }

  it('masks of all ones change nothing; a zero mask cuts layer 0 off from the loss', () => {
    const { dims, params, batch } = makeCellCase({ cell: 'gru', layers: 2, seed: 301 });
    const { H, B: rows, T: steps } = SMALL;
    const plain = rnnLossAndGradients(params, dims, batch);
    const ones = rnnLossAndGradients(params, dims, { ...batch, dropoutMasks: [new Float64Array(steps * rows * H).fill(1)] });
    expect(ones.loss).toBe(plain.loss);
    for (const name of Object.keys(params)) expectClose(name, ones.gradients[name], plain.gradients[name], 1e-15);
    const cut = rnnLossAndGradients(params, dims, { ...batch, dropoutMasks: [new Float64Array(steps * rows * H)] });
    for (const name of ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']) {
      expect(maxAbs(cut.gradients[name]), name).toBe(0);
    }
    expect(maxAbs(cut.dInitialHidden.subarray(0, rows * H))).toBe(0);
    expect(maxAbs(cut.gradients.weight_ih_l1)).toBe(0); // layer 1 reads only zeros
    expect(maxAbs(cut.gradients.weight_hh_l1)).toBeGreaterThan(1e-3);
  });

  it('adds into the gradients it is given, for every cell', () => {
    for (const cell of CELLS) {
      const { dims, params, batch } = makeCellCase({ cell, layers: 2, withDropout: true, seed: 302 });
      const forward = rnnForward(params, dims, batch);
      const once = zeroGradients(dims);
      rnnBackward(params, dims, batch, forward, once);
      const twice = zeroGradients(dims);
      rnnBackward(params, dims, batch, forward, twice);
      rnnBackward(params, dims, batch, forward, twice);
      for (const name of Object.keys(once)) expectClose(`${cell} ${name}`, twice[name], once[name].map((g) => 2 * g), 1e-15);
    }
  });

  it('names parameters in state_dict order, with stacked gate rows and I_k = H above layer 0', () => {
    expect(GATES_PER_CELL).toEqual({ rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 });
    const shapes = referenceParameterShapes({ inputSize: 5, hiddenSize: 3, outputSize: 4, cell: 'lstm', layers: 2 });
    expect(Object.entries(shapes)).toEqual([
      ['weight_ih_l0', [12, 5]],
      ['weight_hh_l0', [12, 3]],
      ['bias_ih_l0', [12]],
      ['bias_hh_l0', [12]],
      ['weight_ih_l1', [12, 3]],
      ['weight_hh_l1', [12, 3]],
      ['bias_ih_l1', [12]],
      ['bias_hh_l1', [12]],
      ['weight', [4, 3]],
      ['bias', [4]],
    ]);
    const gru = referenceParameterShapes({ inputSize: 5, hiddenSize: 3, outputSize: 4, cell: 'gru' });
    expect(gru.weight_ih_l0).toEqual([9, 5]);
    expect(Object.keys(gru)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight', 'bias']);
    const gradients = zeroGradients({ inputSize: 5, hiddenSize: 3, outputSize: 4, cell: 'gru', layers: 3 });
    expect(Object.keys(gradients)).toHaveLength(14);
    expect(gradients.weight_hh_l2.length).toBe(27);
  });
});

// ---------------------------------------------------------------------------------------
// Single ops

describe('softmax cross-entropy', () => {
  it('backward matches finite differences of the mean loss', () => {
    const random = seededRandom(11);
    const rows = 4;
    const classes = 7;
    const logits = randomArray(random, rows * classes, 3);
    const targets = randomIntegers(random, rows, classes);
    const analytic = softmaxCrossEntropyBackward(logits, targets, rows, classes);
    const numeric = centralDifferenceGradient(
      () => softmaxCrossEntropyForward(logits, targets, rows, classes).loss,
      logits,
    );
    expect(maxAbs(analytic)).toBeGreaterThan(1e-2);
    expectClose('dLogits', analytic, numeric, 1e-6);
  });

  it('gives per-row losses −log softmax at the target and their mean', () => {
    const logits = [0, Math.log(3), 2, 2];
    const { loss, rowLosses } = softmaxCrossEntropyForward(logits, [1, 0], 2, 2);
    expect(rowLosses[0]).toBeCloseTo(-Math.log(3 / 4), 15);
    expect(rowLosses[1]).toBeCloseTo(Math.log(2), 15);
    expect(loss).toBeCloseTo((-Math.log(3 / 4) + Math.log(2)) / 2, 15);
  });

  it('stays finite for logits of ±1000', () => {
    const logits = [1000, -1000, 0, -1000, 1000, 1000];
    const { loss, rowLosses } = softmaxCrossEntropyForward(logits, [1, 0], 2, 3);
    expect(rowLosses[0]).toBe(2000); // log p = −1000 − 1000 − log(1 + e^−1000 + e^−2000)
    expect(rowLosses[1]).toBeCloseTo(2000 + Math.log(2), 10); // log p = −1000 − 1000 − log 2
    expect(Number.isFinite(loss)).toBe(true);
    const dLogits = softmaxCrossEntropyBackward(logits, [1, 0], 2, 3);
    expectClose('dLogits', dLogits, [0.5, -0.5, 0, -0.5, 0.25, 0.25], 1e-15);
  });
});

describe('tanh', () => {
  it('backward matches finite differences', () => {
    const random = seededRandom(12);
    const x = randomArray(random, 20, 3);
    const dOut = randomArray(random, 20, 1);
    const analytic = tanhBackward(dOut, tanhForward(x));
    // d/dx_i of Σ_j dOut_j · tanh(x_j)
    const numeric = centralDifferenceGradient(() => {
      const out = tanhForward(x);
      let sum = 0;
      for (let j = 0; j < out.length; j++) sum += dOut[j] * out[j];
      return sum;
    }, x);
    expect(maxAbs(analytic)).toBeGreaterThan(1e-2);
    expectClose('dX', analytic, numeric, 1e-6);
  });

  it('stays finite at ±300', () => {
    const out = tanhForward([300, -300, 0]);
    expect(Array.from(out)).toEqual([1, -1, 0]);
    expect(Array.from(tanhBackward([1, 1, 1], out))).toEqual([0, 0, 1]);
  });

  it('keeps a network with huge pre-activations finite', () => {
    const { dims, params, batch } = makeCase('dense', true, 13);
    for (const p of Object.values(params)) for (let i = 0; i < p.length; i++) p[i] *= 600;
    const { loss, gradients } = rnnLossAndGradients(params, dims, batch);
    expect(Number.isFinite(loss)).toBe(true);
    for (const [name, g] of Object.entries(gradients)) {
      expect(g.every(Number.isFinite), `${name} has a non-finite gradient`).toBe(true);
    }
  });
});

describe('sigmoid', () => {
  it('is 1/(1 + e^−x), finite and never NaN at ±800, precise for very negative x', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(-30) / Math.exp(-30)).toBeCloseTo(1 / (1 + Math.exp(-30)), 15);
    for (const x of [-3, -0.5, 0.25, 2, 7]) expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 15);
  });
});

describe('matmulReference', () => {
  // C[i][j] = bias[j] + Σ_p A[i][p] · B[p][j], on nested arrays, no transposes involved
  function naiveMatmul(a: number[][], b: number[][], bias: number[]): number[] {
    const c: number[] = [];
    for (let i = 0; i < a.length; i++) {
      for (let j = 0; j < b[0].length; j++) {
        let sum = bias[j];
        for (let p = 0; p < b.length; p++) sum += a[i][p] * b[p][j];
        c.push(sum);
      }
    }
    return c;
  }
  function matrix(random: () => number, rows: number, cols: number): number[][] {
    return Array.from({ length: rows }, () => Array.from(randomArray(random, cols, 1)));
  }
  function transpose(a: number[][]): number[][] {
    return a[0].map((_, j) => a.map((row) => row[j]));
  }

  const m = 3;
  const n = 5;
  const k = 7;
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      it(`transposeA=${transposeA}, transposeB=${transposeB}, with bias`, () => {
        const random = seededRandom(20 + Number(transposeA) * 2 + Number(transposeB));
        const a = matrix(random, m, k);
        const b = matrix(random, k, n);
        const bias = Array.from(randomArray(random, n, 1));
        const storedA = (transposeA ? transpose(a) : a).flat();
        const storedB = (transposeB ? transpose(b) : b).flat();
        const c = matmulReference(storedA, storedB, m, n, k, { transposeA, transposeB, bias });
        expectClose('C', c, naiveMatmul(a, b, bias), 1e-14);
      });
    }
  }

  it('columnSums adds each column over the rows', () => {
    expect(Array.from(columnSums([1, 2, 3, 10, 20, 30], 2, 3))).toEqual([11, 22, 33]);
  });

  it('rejects operands whose lengths do not match m, n, k', () => {
    expect(() => matmulReference([1, 2, 3], [1, 2], 1, 1, 2)).toThrow(/a has length 3, expected 2/);
    expect(() => matmulReference([1, 2], [1, 2], 1, 1, 2, { bias: [1, 2] })).toThrow(/bias has length 2, expected 1/);
  });
});

// ---------------------------------------------------------------------------------------
// Optimizers

describe('optimizers', () => {
  it('sgdUpdate: p ← p − lr·g', () => {
    const params = { w: Float64Array.of(1, -2, 0.5) };
    new ReferenceOptimizer({ type: 'sgd', learningRate: 0.5 }).step(params, { w: Float64Array.of(0.1, -0.3, 2) });
    expectClose('w', params.w, [1 - 0.05, -2 + 0.15, 0.5 - 1], 1e-15);
  });

  it('adamUpdate: three steps with default betas and epsilon, worked out by hand', () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8; element 0 sees g = 0.5, −0.25, 1.0;
    // element 1 always sees g = 0 and must not move.
    const adam = new ReferenceOptimizer({ type: 'adam', learningRate: 0.1 });
    const params = { w: Float64Array.of(1.0, -2.0) };
    const gradientsPerStep = [0.5, -0.25, 1.0];

    // t = 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025,
    //        m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
    const p1 = 1.0 - (0.1 * 0.5) / (Math.sqrt(0.25) + 1e-8);
    // t = 2: m = 0.9·0.05 + 0.1·(−0.25) = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225,
    //        1 − β1² = 0.19, 1 − β2² = 0.001999
    const p2 = p1 - (0.1 * (0.02 / 0.19)) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
    // t = 3: m = 0.9·0.02 + 0.1·1.0 = 0.118, v = 0.999·0.00031225 + 0.001·1 = 0.00131193775,
    //        1 − β1³ = 0.271, 1 − β2³ = 0.002997001
    const p3 = p2 - (0.1 * (0.118 / 0.271)) / (Math.sqrt(0.00131193775 / 0.002997001) + 1e-8);

    const expected = [p1, p2, p3];
    for (let step = 0; step < 3; step++) {
      adam.step(params, { w: Float64Array.of(gradientsPerStep[step], 0) });
      expect(adam.stepCount).toBe(step + 1);
      expect(params.w[0]).toBeCloseTo(expected[step], 13);
      expect(params.w[1]).toBe(-2.0);
    }
  });

  it('adamUpdate honours beta1, beta2 and epsilon', () => {
    // one step: m̂ = g, v̂ = g², so p ← p − lr·g / (|g| + ε)
    const adam = new ReferenceOptimizer({ type: 'adam', learningRate: 0.2, beta1: 0.5, beta2: 0.25, epsilon: 0.5 });
    const params = { w: Float64Array.of(1.0) };
    adam.step(params, { w: Float64Array.of(2.0) });
    expect(params.w[0]).toBeCloseTo(1.0 - (0.2 * 2.0) / (2.0 + 0.5), 15);
    // after it m = 0.5·2 = 1, v = 0.75·4 = 3; then a step with g = 0:
    // m = 0.5·1 = 0.5 → m̂ = 0.5/(1 − 0.5²) = 0.5/0.75;  v = 0.25·3 = 0.75 → v̂ = 0.75/(1 − 0.25²) = 0.75/0.9375
    adam.step(params, { w: Float64Array.of(0.0) });
    const p2 = 1.0 - (0.2 * 2.0) / 2.5 - (0.2 * (0.5 / 0.75)) / (Math.sqrt(0.75 / 0.9375) + 0.5);
    expect(params.w[0]).toBeCloseTo(p2, 15);
  });

  it('rejects gradients that do not match the parameters', () => {
    const params = { w: Float64Array.of(1, 2) };
    expect(() => new ReferenceOptimizer({ type: 'sgd', learningRate: 1 }).step(params, { w: Float64Array.of(1) })).toThrow(/grads\.w has length 1, expected 2/);
    expect(() => new ReferenceOptimizer({ type: 'adam', learningRate: 1 }).step(params, {})).toThrow(/grads\.w is missing/);
  });
});

// ---------------------------------------------------------------------------------------
// Bad input

describe('bad input throws an error naming the argument', () => {
  const { dims, params, batch } = makeCase('tokens', false, 30);
  const { inputTokens, ...withoutInputs } = batch;

  it('a token id out of range', () => {
    const tokens = Array.from(inputTokens!);
    tokens[7] = dims.inputSize;
    expect(() => rnnForward(params, dims, { ...batch, inputTokens: tokens })).toThrow(
      /batch\.inputTokens\[7\] = 5 is not a valid token id.*\[0, 5\)/,
    );
    tokens[7] = 1.5;
    expect(() => rnnForward(params, dims, { ...batch, inputTokens: tokens })).toThrow(/batch\.inputTokens\[7\] = 1\.5/);
  });

  it('a target out of range', () => {
    const targets = Array.from(batch.targets!);
    targets[2] = -1;
    expect(() => rnnForward(params, dims, { ...batch, targets })).toThrow(/batch\.targets\[2\] is -1, .*\[0, 6\).* or -100/);
  });

  it('a wrong-length targets array', () => {
    const targets = Array.from(batch.targets!).slice(1);
    expect(() => rnnForward(params, dims, { ...batch, targets })).toThrow(/batch\.targets has length 14, expected 15/);
    const forward = rnnForward(params, dims, batch);
    expect(() => rnnBackward(params, dims, { ...batch, targets }, forward, zeroGradients(dims))).toThrow(/batch\.targets/);
  });

  it('both or neither of inputTokens and inputs', () => {
    const inputs = new Float64Array(T * B * dims.inputSize);
    expect(() => rnnForward(params, dims, { ...batch, inputs })).toThrow(/inputTokens and batch\.inputs, but both/);
    expect(() => rnnForward(params, dims, withoutInputs)).toThrow(/inputTokens and batch\.inputs, but neither/);
  });

  it('a wrong-length dense input, initialHidden or parameter', () => {
    expect(() => rnnForward(params, dims, { ...withoutInputs, inputs: new Float64Array(7) })).toThrow(
      /batch\.inputs has length 7, expected 75/,
    );
    expect(() => rnnForward(params, dims, { ...batch, initialHidden: [0] })).toThrow(/batch\.initialHidden has length 1, expected 12/);
    const { weight_hh_l0: _unused, ...missing } = params;
    expect(() => rnnForward(missing, dims, batch)).toThrow(/params\.weight_hh_l0 is missing/);
    expect(() => rnnForward({ ...params, bias: new Float64Array(2) }, dims, batch)).toThrow(/params\.bias has length 2, expected 6/);
  });

  it('an unknown cell or a layer count that is not a positive integer', () => {
    expect(() => rnnForward(params, { ...dims, cell: 'rnn_sigmoid' as ReferenceCell }, batch)).toThrow(
      /dims\.cell must be one of 'rnn_tanh', 'rnn_relu', 'lstm', 'gru', got "rnn_sigmoid"/,
    );
    expect(() => referenceParameterShapes({ ...dims, layers: 0 })).toThrow(/dims\.layers must be a positive integer, got 0/);
    expect(() => zeroGradients({ ...dims, layers: 1.5 })).toThrow(/dims\.layers must be a positive integer, got 1\.5/);
  });

  it('initialCell for a cell without one, or states and masks of the wrong length', () => {
    const stacked = makeCellCase({ cell: 'lstm', layers: 2, withDropout: true, seed: 31 });
    const { H, B: rows, T: steps } = SMALL;
    for (const cell of ['rnn_tanh', 'rnn_relu', 'gru'] as const) {
      const c = makeCellCase({ cell, layers: 2, seed: 32 });
      expect(() => rnnForward(c.params, c.dims, { ...c.batch, initialCell: new Float64Array(2 * rows * H) })).toThrow(
        new RegExp(`batch\\.initialCell was given, but dims\\.cell is '${cell}': only 'lstm' has a cell state`),
      );
    }
    const forward = (change: Partial<ReferenceBatch>) => () => rnnForward(stacked.params, stacked.dims, { ...stacked.batch, ...change });
    // states are [L·B·H] = 2·2·3
    expect(forward({ initialHidden: new Float64Array(rows * H) })).toThrow(/batch\.initialHidden has length 6, expected 12 \(layers·batchSize·hiddenSize = 2·2·3\)/);
    expect(forward({ initialCell: new Float64Array(13) })).toThrow(/batch\.initialCell has length 13, expected 12/);
    expect(forward({ dropoutMasks: [] })).toThrow(/batch\.dropoutMasks has 0 masks, expected 1/);
    const mask = new Float64Array(steps * rows * H);
    expect(forward({ dropoutMasks: [mask, mask] })).toThrow(/batch\.dropoutMasks has 2 masks, expected 1/);
    expect(forward({ dropoutMasks: [mask.subarray(1)] })).toThrow(/batch\.dropoutMasks\[0\] has length 23, expected 24/);
    // a forward from another model cannot be fed to the backward pass
    const oneLayer = rnnForward(params, dims, batch);
    expect(() => rnnBackward(stacked.params, stacked.dims, stacked.batch, oneLayer, zeroGradients(stacked.dims))).toThrow(/forward\./);
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
    for (const name of Object.keys(params)) expectClose(`lengths ${name}`, analytic.gradients[name], numeric[name], 1e-6);
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
    for (const name of Object.keys(params)) expectClose(`embedding model ${name}`, analytic.gradients[name], numeric[name], 1e-6);
    expect(maxAbs(analytic.gradients['embedding.weight'])).toBeGreaterThan(1e-3);
  });
});
