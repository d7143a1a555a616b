// The float64 reference's forward and backward through time, checked by hand-written networks
// and by identities (token inputs equal one-hot dense inputs, a doubled loss doubles the gradients).
import { describe, expect, it } from 'vitest';
import { referenceParameterShapes, rnnBackward, rnnForward, rnnLossAndGradients, softmaxCrossEntropyForward, zeroGradients, type ReferenceParameters } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { maxAbs, T, B, H, V, makeCase, withinRelative, expectBackwardAddsIntoGradients } from './reference-cases.ts';

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
    expectClose('logits', forward.logits, [...y0, ...y1], withinRelative(1e-15));
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
    expectClose('hiddenStates', token.hiddenStates, dense.hiddenStates, withinRelative(1e-14));
    for (const name of Object.keys(params)) expectClose(name, token.gradients[name], dense.gradients[name], withinRelative(1e-12));
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
    expectBackwardAddsIntoGradients('', params, dims, batch);
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
