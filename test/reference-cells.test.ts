// The float64 reference's cells: one step of each written out by hand, saturated gates over a
// long sequence, stacked layers, states in and out, and dropout masks between layers.
import { describe, expect, it } from 'vitest';
import { GATES_PER_CELL, referenceParameterShapes, rnnForward, rnnLossAndGradients, zeroGradients, type ReferenceBatch, type ReferenceDims, type ReferenceParameters } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { seededRandom } from './random.ts';
import { randomArray, randomIntegers, randomParameters, maxAbs, T, B, H, V, CELLS, SMALL, makeCellCase, withinRelative, expectBackwardAddsIntoGradients } from './reference-cases.ts';

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
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, dPreactivation, withinRelative(1e-13));
    expectClose('dweight_ih_l0', result.gradients.weight_ih_l0, dPreactivation.map((d) => d * x), withinRelative(1e-13));
    expectClose('dInitialCell', result.dInitialCell!, [dc * f], withinRelative(1e-13));
    const dh0 = dPreactivation[0] * -0.2 + dPreactivation[1] * 0.6 + dPreactivation[2] * 0.4 + dPreactivation[3] * -0.9;
    expectClose('dInitialHidden', result.dInitialHidden, [dh0], withinRelative(1e-13));
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
    expectClose('dbias_ih_l0', result.gradients.bias_ih_l0, [dr, dz, dn], withinRelative(1e-13));
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, [dr, dz, dn * r], withinRelative(1e-13));
    expectClose('dweight_hh_l0', result.gradients.weight_hh_l0, [dr * h0, dz * h0, dn * r * h0], withinRelative(1e-13));
    expectClose('dInitialHidden', result.dInitialHidden, [dh * z + dr * -0.2 + dz * 0.6 + dn * r * 0.4], withinRelative(1e-13));
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
    expectClose('hiddenStates', result.hiddenStates, [0.4, first, 0], withinRelative(1e-15));
    expect(second).toBe(0);
    // only step 0 passes gradient into the cell: db = dh_0 (step 1 is off, so nothing flows back from it)
    const { dLogits } = crossEntropy([1.3 * first + 0.1, -0.6 * first - 0.2], 0);
    const dh = (dLogits[0] * 1.3 + dLogits[1] * -0.6) / 2; // mean over T·B = 2 positions
    expectClose('dbias_hh_l0', result.gradients.bias_hh_l0, [dh], withinRelative(1e-13));
    expectClose('dweight_ih_l0', result.gradients.weight_ih_l0, [dh * 1.0], withinRelative(1e-13));
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
      expectClose('layer 0 hiddenStates', stacked.layers[0].hiddenStates, bottom.hiddenStates, withinRelative(1e-15));
      expectClose('top hiddenStates', stacked.hiddenStates, top.hiddenStates, withinRelative(1e-15));
      expectClose('logits', stacked.logits, top.logits, withinRelative(1e-15));
      expect(stacked.loss).toBe(top.loss);
      // states are layer-major [L, B, H], and finalHidden is the unmasked h_{T−1}
      expectClose('finalHidden', stacked.finalHidden, [...bottom.finalHidden, ...top.finalHidden], withinRelative(1e-15));
      if (cell === 'lstm') expectClose('finalCell', stacked.finalCell!, [...bottom.finalCell!, ...top.finalCell!], withinRelative(1e-15));
      else expect(stacked.finalCell).toBeUndefined();
    });
  }

  it('masks of all ones change nothing; a zero mask cuts layer 0 off from the loss', () => {
    const { dims, params, batch } = makeCellCase({ cell: 'gru', layers: 2, seed: 301 });
    const { H, B: rows, T: steps } = SMALL;
    const plain = rnnLossAndGradients(params, dims, batch);
    const ones = rnnLossAndGradients(params, dims, { ...batch, dropoutMasks: [new Float64Array(steps * rows * H).fill(1)] });
    expect(ones.loss).toBe(plain.loss);
    for (const name of Object.keys(params)) expectClose(name, ones.gradients[name], plain.gradients[name], withinRelative(1e-15));
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
      expectBackwardAddsIntoGradients(`${cell} `, params, dims, batch);
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
