/**
 * The head's zero rows (parameter-layout.ts, sequence-plan.ts): W_y and b_y are
 * followed by zero rows up to headRows(V), a multiple of 4, and the logits rows are
 * that long, so that the head's three products read and write vec4s whatever V is.
 * Those rows must stay exactly 0 through training (or the products past V would feed
 * the gradients), never show in what the user reads, and the head's products must
 * then run on the vec4 cores of a CPU adapter.
 */
import { describe, expect, it } from 'vitest';
import { readFloats } from '../src/device/buffers.ts';
import { KernelSet } from '../src/kernels/kernel-set.ts';
import { resolveConfig, type RnnModelConfig } from '../src/model/config.ts';
import { headRows, parameterLayout } from '../src/model/parameter-layout.ts';
import { RnnModel } from '../src/model/rnn-model.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

describe('headRows and the parameter layout', () => {
  it('rounds V up to a multiple of 4', () => {
    expect([1, 2, 3, 4, 5, 64, 65, 66, 68].map(headRows)).toEqual([4, 4, 4, 4, 8, 64, 68, 68, 68]);
  });

  for (const outputSize of [1, 5, 65, 125, 128]) {
    it(`V = ${outputSize}: the head's weight is followed by ${headRows(outputSize) - outputSize} zero rows before the bias, and the bias by as many words before the end; neither counts as parameters`, () => {
      const hiddenSize = 12;
      const config = resolveConfig({ cell: 'gru', inputSize: 3, outputSize, hiddenSize, loss: 'mse' });
      const layout = parameterLayout(config);
      const { weight, bias } = layout.byName;
      expect(weight.length).toBe(outputSize * hiddenSize);
      expect(bias.offset).toBeGreaterThanOrEqual(weight.offset + headRows(outputSize) * hiddenSize);
      expect(layout.totalLength).toBeGreaterThanOrEqual(bias.offset + headRows(outputSize));
      expect(layout.parameterCount).toBe(layout.views.reduce((sum, view) => sum + view.length, 0));
    });
  }
});

/** A token LSTM and a dense GRU with MSE whose head has an odd V; every other size a multiple of 4, so every product can read vec4s. */
const CONFIGS: RnnModelConfig[] = [
  { cell: 'lstm', vocabularySize: 5, hiddenSize: 8, optimizer: { type: 'adamw', learningRate: 0.05, weightDecay: 0.1 }, seed: 3 },
  { cell: 'gru', inputSize: 4, outputSize: 3, hiddenSize: 8, loss: 'mse', optimizer: { type: 'rmsprop', learningRate: 0.01, momentum: 0.5 }, clipGradientNorm: 0.5, seed: 4 },
];
const [T, B] = [3, 4];

describe.each(TEST_ADAPTERS)('the head zero rows on %s', (adapter) => {
  for (const config of CONFIGS) {
    const resolved = resolveConfig(config);
    const V = resolved.outputSize;
    it(`${resolved.cell}, V = ${V}: after training, W_y's rows and b_y's words past V are still exactly 0, predict returns [T·B, V], and on a CPU adapter the head's products read vec4s`, async () => {
      const context = await contextFor(adapter);
      const kernels = await KernelSet.load(context.device);
      const matmuls: string[] = [];
      const lookUp = kernels.kernel;
      kernels.kernel = function (this: KernelSet, key: string) {
        if (key.startsWith('matmul ')) matmuls.push(key);
        return lookUp.call(this, key);
      };
      const model = await RnnModel.create(context, config);
      try {
        const tokens = Array.from({ length: T * B }, (_, i) => (i * 3 + 1) % V);
        const batch =
          resolved.inputKind === 'tokens'
            ? { timeSteps: T, batchSize: B, inputTokens: tokens, targets: tokens.map((token) => (token + 1) % V) }
            : { timeSteps: T, batchSize: B, inputs: randomFloats(T * B * resolved.inputSize, 5, 1), targetValues: randomFloats(T * B * V, 6, 1) };
        const weightBefore = (await model.readParameters()).weight;
        const losses: number[] = [];
        for (let step = 0; step < 4; step++) losses.push(await model.trainStep(batch).loss());
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[3]).toBeLessThan(losses[0]);

        const { weight, bias } = model.layout.byName;
        const W = weight.shape[1];
        const flat = await readFloats(context.device, (model as unknown as { buffers: { parameters: GPUBuffer } }).buffers.parameters, 0, model.layout.totalLength);
        const zeroRows = flat.subarray(weight.offset + V * W, weight.offset + headRows(V) * W);
        const zeroBias = flat.subarray(bias.offset + V, bias.offset + headRows(V));
        expect(zeroRows.length).toBe((headRows(V) - V) * W);
        expect(Array.from(zeroRows).every((value) => Object.is(value, 0))).toBe(true);
        expect(Array.from(zeroBias).every((value) => Object.is(value, 0))).toBe(true);
        // The rows before them did move.
        expect(Array.from(flat.subarray(weight.offset, weight.offset + V * W))).not.toEqual(Array.from(weightBefore));

        const { logits } = await model.predict(batch);
        expect(logits.length).toBe(T * B * V);
        expect(logits.every(Number.isFinite)).toBe(true);
        // The evaluation's loss is that of the returned logits: the stored rows' extra words took no part.
        if (resolved.loss === 'mse') {
          const targets = batch.targetValues!;
          const mean = logits.reduce((sum, y, i) => sum + (y - targets[i]) ** 2, 0) / logits.length;
          expect(await model.evaluate(batch).loss()).toBeCloseTo(mean, 5);
        }
      } finally {
        delete (kernels as Partial<KernelSet>).kernel;
        model.dispose();
      }
      expect(matmuls.length).toBeGreaterThan(0);
      if (kernels.cpuAdapter) expect(matmuls.filter((key) => !/ (vec4|textures)$/.test(key))).toEqual([]);
    });
  }
});
