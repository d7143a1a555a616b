// The float64 reference's single ops: softmax cross-entropy, tanh, sigmoid and matmul.
import { describe, expect, it } from 'vitest';
import { centralDifferenceGradient, columnSums, matmulReference, rnnLossAndGradients, sigmoid, softmaxCrossEntropyBackward, softmaxCrossEntropyForward, tanhBackward, tanhForward } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { seededRandom } from './random.ts';
import { randomArray, randomIntegers, maxAbs, makeCase, withinRelative } from './reference-cases.ts';

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
    expectClose('dLogits', analytic, numeric, withinRelative(1e-6));
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
    expectClose('dLogits', dLogits, [0.5, -0.5, 0, -0.5, 0.25, 0.25], withinRelative(1e-15));
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
    expectClose('dX', analytic, numeric, withinRelative(1e-6));
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
        expectClose('C', c, naiveMatmul(a, b, bias), withinRelative(1e-14));
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
