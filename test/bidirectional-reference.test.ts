// The bidirectional float64 reference proven on its own: every parameter gradient and the
// initial-state gradients against central finite differences, for every cell, one and two
// layers, with lengths, dropout masks, an embedding and many-to-one targets; padding
// changes nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { centralDifferenceGradient, type ReferenceCell, type ReferenceDims, type ReferenceParameters } from '../src/reference/index.ts';
import { bidirectionalForward, bidirectionalLossAndGradients, bidirectionalParameterShapes, type BidirectionalBatch } from '../src/reference/bidirectional-rnn.ts';
import { seededRandom } from './random.ts';

function randomArray(random: () => number, length: number, scale: number): Float64Array {
  return Float64Array.from({ length }, () => (2 * random() - 1) * scale);
}

function randomParameters(dims: ReferenceDims, seed: number): ReferenceParameters {
  const random = seededRandom(seed);
  return Object.fromEntries(Object.entries(bidirectionalParameterShapes(dims)).map(([name, shape]) => [name, randomArray(random, shape.reduce((a, b) => a * b, 1), 0.6)]));
}

/** Worst |analytic − numeric| / max(1, |numeric|) over every element. */
function worstError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / Math.max(1, Math.abs(numeric[i])));
  return worst;
}

const CELLS: ReferenceCell[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
let worstOverall = 0;
afterAll(() => console.log(`bidirectional reference vs central differences: worst error ${worstOverall.toExponential(2)} (relative to max(1, |numeric|))`));

describe('bidirectional reference against central differences', () => {
  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      it(`${cell}, ${layers} layer(s): lengths, initial states${layers > 1 ? ', dropout masks' : ''}`, () => {
        const T = 4;
        const B = 3;
        const H = 3;
        const dims: ReferenceDims = { inputSize: 4, hiddenSize: H, outputSize: 5, cell, layers };
        const random = seededRandom(17 + layers);
        const params = randomParameters(dims, 5 + layers);
        const batch: BidirectionalBatch = {
          timeSteps: T,
          batchSize: B,
          inputs: randomArray(random, T * B * 4, 1),
          targets: Array.from({ length: T * B }, () => Math.floor(random() * 5)),
          lengths: [4, 2, 3],
          initialHidden: randomArray(random, 2 * layers * B * H, 0.5),
          initialCell: cell === 'lstm' ? randomArray(random, 2 * layers * B * H, 0.5) : undefined,
          dropoutMasks: layers > 1 ? [Float64Array.from({ length: T * B * 2 * H }, () => (random() < 0.3 ? 0 : 1 / 0.7))] : undefined,
        };
        const result = bidirectionalLossAndGradients(params, dims, batch);
        const lossOf = () => bidirectionalForward(params, dims, batch).loss;
        let worst = 0;
        for (const name of Object.keys(params)) worst = Math.max(worst, worstError(result.gradients[name], centralDifferenceGradient(lossOf, params[name])));
        worst = Math.max(worst, worstError(result.dInitialHidden, centralDifferenceGradient(lossOf, batch.initialHidden as Float64Array)));
        if (cell === 'lstm') worst = Math.max(worst, worstError(result.dInitialCell!, centralDifferenceGradient(lossOf, batch.initialCell as Float64Array)));
        worstOverall = Math.max(worstOverall, worst);
        expect(worst).toBeLessThan(1e-6);
        // Every parameter gets a gradient (none is silently disconnected).
        for (const name of Object.keys(params)) expect(result.gradients[name].some((value) => value !== 0), name).toBe(true);
      });
    }
  }

  it('many-to-one targets read both directions\' final states; an embedding and token inputs', () => {
    const dims: ReferenceDims = { inputSize: 6, hiddenSize: 3, outputSize: 4, cell: 'gru', layers: 2, embeddingSize: 2 };
    const random = seededRandom(3);
    const params = randomParameters(dims, 9);
    const batch: BidirectionalBatch = { timeSteps: 5, batchSize: 2, inputTokens: [0, 1, 2, 3, 4, 5, 1, 2, 3, 4], sequenceTargets: [3, 1], lengths: [5, 3] };
    const result = bidirectionalLossAndGradients(params, dims, batch);
    expect(result.logits.length).toBe(2 * 4);
    const lossOf = () => bidirectionalForward(params, dims, batch).loss;
    let worst = 0;
    for (const name of Object.keys(params)) worst = Math.max(worst, worstError(result.gradients[name], centralDifferenceGradient(lossOf, params[name])));
    worstOverall = Math.max(worstOverall, worst);
    expect(worst).toBeLessThan(1e-6);
    void random;
  });

  it('padding changes nothing: a sequence padded with other inputs gives the same loss, states and gradients', () => {
    const dims: ReferenceDims = { inputSize: 3, hiddenSize: 2, outputSize: 3, cell: 'lstm', layers: 2 };
    const params = randomParameters(dims, 1);
    const random = seededRandom(2);
    const short = randomArray(random, 3 * 3, 1);
    const padded = Float64Array.from([...short, ...randomArray(random, 2 * 3, 5)]);
    const run = (T: number, inputs: Float64Array) =>
      bidirectionalLossAndGradients(params, dims, { timeSteps: T, batchSize: 1, inputs, targets: [0, 1, 2, 0, 0].slice(0, T), lengths: [3] });
    const a = run(3, short);
    const b = run(5, padded);
    expect(b.loss).toBeCloseTo(a.loss, 14);
    expect(worstError(b.finalHidden, a.finalHidden)).toBeLessThan(1e-14);
    for (const name of Object.keys(params)) expect(worstError(b.gradients[name], a.gradients[name]), name).toBeLessThan(1e-14);
  });
});
