// The float64 reference refuses bad input with an error naming the argument.
import { describe, expect, it } from 'vitest';
import { referenceParameterShapes, rnnBackward, rnnForward, zeroGradients, type ReferenceBatch, type ReferenceCell } from '../src/reference/index.ts';
import { T, B, H, makeCase, SMALL, makeCellCase } from './reference-cases.ts';

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
