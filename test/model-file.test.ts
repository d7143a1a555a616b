/**
 * Weights in and out through safetensors: save → load gives identical outputs,
 * bit for bit; files from PyTorch load; damaged or mislabelled files are refused
 * with a clear error and the model keeps its weights.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, InvalidArgumentError, RnnModel, type RnnModelConfig, SafetensorsError } from '../src/index.ts';
import { moduleParameterName } from '../src/model/parameter-layout.ts';
import { expectClose } from './check-close.ts';
import { loadFixture } from './fixtures.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];
const CONFIGS: Record<string, RnnModelConfig> = {
  'rnn relu': { cell: 'rnn', nonlinearity: 'relu', vocabularySize: 6, hiddenSize: 5, seed: 1 },
  'lstm, 2 layers': { cell: 'lstm', layers: 2, vocabularySize: 6, hiddenSize: 5, seed: 2 },
  'gru, dense': { cell: 'gru', inputSize: 3, outputSize: 4, hiddenSize: 5, seed: 3 },
};
const tokens = { timeSteps: 3, batchSize: 2, inputTokens: [0, 1, 2, 3, 4, 5] };
const dense = { timeSteps: 3, batchSize: 2, inputs: Array.from({ length: 18 }, (_, i) => Math.sin(i)) };

async function expectRefused(action: () => unknown, ...fragments: string[]): Promise<void> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a SafetensorsError mentioning ${fragments.join(', ')}`).toBeInstanceOf(SafetensorsError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe(`model files (on ${adapter})`, () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: save → load gives the same outputs bit for bit, and the same file again`, async () => {
      const context = await contextFor(adapter);
      const original = await RnnModel.create(context, config);
      const batch = config.inputSize ? dense : tokens;
      try {
        const bytes = await original.saveWeights({ note: 'kept' });
        const file = decodeSafetensors(bytes);
        expect(file.metadata).toMatchObject({ format: 'webgpu-rnn', format_version: '2', cell: config.cell, hidden_size: '5', single_bias: 'false', note: 'kept' });
        expect(Object.keys(file.tensors)).toEqual(Object.keys(original.parameterShapes).map(moduleParameterName));
        const loaded = await RnnModel.fromWeights(context, bytes);
        try {
          expect(loaded.config).toMatchObject({ cell: original.config.cell, nonlinearity: original.config.nonlinearity, layers: original.config.layers, inputKind: original.config.inputKind });
          const [want, got] = [await original.predict(batch), await loaded.predict(batch)];
          expect(new Uint32Array(got.logits.buffer)).toEqual(new Uint32Array(want.logits.buffer));
          expect(await loaded.saveWeights({ note: 'kept' })).toEqual(bytes);
        } finally {
          loaded.dispose();
        }
      } finally {
        original.dispose();
      }
    });
  }

  it('loads a PyTorch state_dict without webgpu-rnn metadata, inferring the architecture', async () => {
    const fixture = loadFixture('gru-l2');
    const stateDict = encodeSafetensors({
      tensors: Object.fromEntries(
        Object.entries(fixture.parameters).map(([name, data]) => [name, { dtype: 'F64' as const, shape: shapeOf(name, fixture), data }]),
      ),
      metadata: {},
    });
    const model = await RnnModel.fromWeights(await contextFor(adapter), stateDict);
    try {
      expect(model.config).toMatchObject({ cell: 'gru', layers: 2, hiddenSize: fixture.hiddenSize, inputSize: fixture.inputSize, outputSize: fixture.outputSize });
      const { logits } = await model.predict({ timeSteps: fixture.timeSteps, batchSize: fixture.batchSize, inputTokens: fixture.inputTokens!, initialHidden: fixture.initialHidden });
      expectClose('logits of the loaded PyTorch GRU', logits, fixture.logits, { relative: 1e-4, absolute: 2e-6 });
    } finally {
      model.dispose();
    }
  });

  it('refuses damaged and mislabelled files, leaving the model as it was', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, CONFIGS['lstm, 2 layers']);
    const other = await RnnModel.create(context, { ...CONFIGS['lstm, 2 layers'], hiddenSize: 4 });
    const gru = await RnnModel.create(context, { cell: 'gru', layers: 2, vocabularySize: 6, hiddenSize: 5 });
    try {
      const before = await model.readParameters();
      const bytes = await model.saveWeights();
      await expectRefused(() => model.loadWeights(bytes.subarray(0, bytes.length - 10)), 'truncated');
      await expectRefused(() => model.loadWeights(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])), 'not a safetensors file', 'PNG');
      await expectRefused(async () => model.loadWeights(await other.saveWeights()), "tensor 'rnn.weight_hh_l0' has shape [16,4], expected [20,5]");
      await expectRefused(async () => model.loadWeights(await gru.saveWeights()), 'cell gru in the file, lstm in this model');
      // Mislabelled: LSTM weights with metadata claiming a GRU.
      const file = decodeSafetensors(bytes);
      const relabelled = encodeSafetensors({ tensors: file.tensors, metadata: { ...file.metadata, cell: 'gru' } });
      await expectRefused(() => RnnModel.fromWeights(context, relabelled), "tensor 'rnn.weight_ih_l0' has shape [20,6], expected [15,6]");
      // Missing and extra tensors are all named in one error.
      const { 'head.bias': _, ...withoutBias } = file.tensors;
      const incomplete = encodeSafetensors({ tensors: { ...withoutBias, extra: file.tensors['head.bias'] }, metadata: file.metadata });
      await expectRefused(() => model.loadWeights(incomplete), "missing tensor 'head.bias'", "unexpected tensor 'extra'");
      const wrongType = encodeSafetensors({ tensors: { ...file.tensors, 'head.bias': { dtype: 'I32', shape: [6], data: new Int32Array(6) } }, metadata: file.metadata });
      await expectRefused(() => model.loadWeights(wrongType), "tensor 'head.bias' has dtype I32");
      // The head named twice (bare and as a module) is ambiguous.
      const twice = encodeSafetensors({ tensors: { ...file.tensors, bias: file.tensors['head.bias'] }, metadata: file.metadata });
      await expectRefused(() => model.loadWeights(twice), "'head.bias' and 'bias' name the same parameter");
      await expectRefused(() => model.loadWeights(encodeSafetensors({ tensors: file.tensors, metadata: { ...file.metadata, format_version: '9' } })), 'format_version');
      expect(await model.readParameters()).toEqual(before);
    } finally {
      model.dispose();
      other.dispose();
      gru.dispose();
    }
  });
});

describe(`parameter names: module prefixes and the names of format 1 (on ${adapter})`, () => {
  it('a PyTorch module state_dict (rnn.*, head.*) without metadata loads like the bare one', async () => {
    const fixture = loadFixture('gru-l2');
    const prefixed = encodeSafetensors({
      tensors: Object.fromEntries(
        Object.entries(fixture.parameters).map(([name, data]) => [moduleParameterName(name), { dtype: 'F32' as const, shape: shapeOf(name, fixture), data: Float32Array.from(data) }]),
      ),
      metadata: {},
    });
    expect(Object.keys(decodeSafetensors(prefixed).tensors)).toContain('rnn.weight_ih_l1');
    const model = await RnnModel.fromWeights(await contextFor(adapter), prefixed);
    try {
      expect(model.config).toMatchObject({ cell: 'gru', layers: 2, hiddenSize: fixture.hiddenSize });
      const { logits } = await model.predict({ timeSteps: fixture.timeSteps, batchSize: fixture.batchSize, inputTokens: fixture.inputTokens!, initialHidden: fixture.initialHidden });
      expectClose('logits of the loaded PyTorch module', logits, fixture.logits, { relative: 1e-4, absolute: 2e-6 });
      model.loadWeights(prefixed);
    } finally {
      model.dispose();
    }
  });

  it('a format-1 file (bare names: weight_ih_l0, weight, bias) loads into the same parameters', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { ...CONFIGS['lstm, 2 layers'], embeddingSize: 3 });
    const target = await RnnModel.create(context, { ...CONFIGS['lstm, 2 layers'], embeddingSize: 3, seed: 99 });
    try {
      const file = decodeSafetensors(await model.saveWeights());
      expect(Object.keys(file.tensors)).toEqual(['embedding.weight', ...['l0', 'l1'].flatMap((l) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((p) => `rnn.${p}_${l}`)), 'head.weight', 'head.bias']);
      const bare = Object.fromEntries(Object.entries(file.tensors).map(([name, tensor]) => [name.replace(/^(rnn|head)\./, ''), tensor]));
      const { single_bias: _, ...formatOne } = file.metadata;
      target.loadWeights(encodeSafetensors({ tensors: bare, metadata: { ...formatOne, format_version: '1' } }));
      expect(await target.readParameters()).toEqual(await model.readParameters());
    } finally {
      model.dispose();
      target.dispose();
    }
  });

  it('writeParameters takes module names, and refuses one parameter named twice, changing nothing', async () => {
    const model = await RnnModel.create(await contextFor(adapter), CONFIGS['rnn relu']);
    try {
      const before = await model.readParameters();
      const bias = Float32Array.from({ length: 6 }, (_, i) => i / 10);
      let caught: unknown;
      try {
        model.writeParameters({ 'head.bias': bias, bias, 'rnn.bias_hh_l0': new Float32Array(5) });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as Error).message).toContain("'head.bias' and 'bias' name the same parameter");
      expect(await model.readParameters()).toEqual(before);
      model.writeParameters({ 'head.bias': bias, 'rnn.bias_hh_l0': new Float32Array(5) });
      const after = await model.readParameters();
      expect(after.bias).toEqual(bias);
      expect(after.bias_hh_l0).toEqual(new Float32Array(5));
      expect(after.weight_hh_l0).toEqual(before.weight_hh_l0);
    } finally {
      model.dispose();
    }
  });
});

function shapeOf(name: string, fixture: ReturnType<typeof loadFixture>): number[] {
  const G = 3;
  const H = fixture.hiddenSize;
  if (name === 'weight') return [fixture.outputSize, H];
  if (name === 'bias') return [fixture.outputSize];
  if (name.startsWith('weight_ih_l')) return [G * H, name.endsWith('l0') ? fixture.inputSize : H];
  if (name.startsWith('weight_hh_l')) return [G * H, H];
  return [G * H];
}
