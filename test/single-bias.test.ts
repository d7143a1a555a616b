/**
 * Single-bias models: PyTorch's founding SimpleRNN (i2h = Linear(I + H, H),
 * h2o = Linear(H, O), hidden = tanh(i2h(cat(x, h)))) loads from its own
 * state_dict, takes the same plain SGD steps as PyTorch (golden fixture from
 * test/fixtures/make_simple_rnn_fixture.py) on the GPU and on the CPU reference,
 * and saves back in that form; a single-bias LSTM matches the reference.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, InvalidArgumentError, RnnModel, type SafetensorsTensor } from '../src/index.ts';
import { centralDifferenceGradient, rnnForward, rnnLossAndGradients, ReferenceOptimizer } from '../src/reference/index.ts';
import { compareArrays, expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const fixture = decodeSafetensors(readFileSync(new URL('./fixtures/simple_rnn-sgd.safetensors', import.meta.url)));
const tensor = (name: string) => fixture.tensors[name].data as Float64Array;
const [STEPS, T, B] = fixture.tensors.input_tokens.shape;
const [H, width] = fixture.tensors['i2h.weight'].shape;
const V = width - H;
const LEARNING_RATE = Number(fixture.metadata.learning_rate);
const MODULE_NAMES = ['i2h.weight', 'i2h.bias', 'h2o.weight', 'h2o.bias'];

/** The batch of step s, time-major: element t·B + b. */
function batch(step: number) {
  const slice = (name: string) => Uint32Array.from((fixture.tensors[name].data as Int32Array).subarray(step * T * B, (step + 1) * T * B));
  return { timeSteps: T, batchSize: B, inputTokens: slice('input_tokens'), targets: slice('targets') };
}

/** A state_dict of the SimpleRNN module (prefix '' initial, 'sgd.' after the steps, 'grad.' the first step's gradients). */
function simpleRnnStateDict(prefix: string): Record<string, Float64Array> {
  return Object.fromEntries(MODULE_NAMES.map((name) => [name, tensor(prefix + name)]));
}

/** SimpleRNN names → the engine's layout names: i2h.weight = [W_ih | W_hh] column blocks. */
function layoutOf(stateDict: Record<string, ArrayLike<number>>): Record<string, Float64Array> {
  const joined = stateDict['i2h.weight'];
  const input = new Float64Array(H * V);
  const recurrent = new Float64Array(H * H);
  for (let row = 0; row < H; row++) {
    for (let j = 0; j < V; j++) input[row * V + j] = joined[row * width + j];
    for (let j = 0; j < H; j++) recurrent[row * H + j] = joined[row * width + V + j];
  }
  return { weight_ih_l0: input, weight_hh_l0: recurrent, bias_l0: Float64Array.from(stateDict['i2h.bias']), weight: Float64Array.from(stateDict['h2o.weight']), bias: Float64Array.from(stateDict['h2o.bias']) };
}

/** The module's initial state_dict as PyTorch would save it: no webgpu-rnn metadata. */
function pytorchFile(): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const name of MODULE_NAMES) tensors[name] = { dtype: 'F32', shape: fixture.tensors[name].shape, data: Float32Array.from(tensor(name)) };
  return encodeSafetensors({ tensors, metadata: {} });
}

function report(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance = { relative: 1e-4, absolute: 2e-6 }): number {
  expectClose(what, got, want, tolerance);
  return compareArrays(got, want, tolerance).maxAbsolute;
}

describe('single bias: the SimpleRNN on the CPU reference', () => {
  it(`${STEPS} SGD steps follow PyTorch's losses and parameters to 1e-12`, () => {
    const dims = { cell: 'rnn_tanh' as const, inputSize: V, hiddenSize: H, outputSize: V, singleBias: true };
    const parameters = layoutOf(simpleRnnStateDict(''));
    const losses: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const { loss, gradients } = rnnLossAndGradients(parameters, dims, batch(step));
      if (step === 0) {
        const want = layoutOf(simpleRnnStateDict('grad.'));
        for (const name of Object.keys(want)) expectClose(`reference gradient ${name}`, gradients[name], want[name], { relative: 1e-10, absolute: 1e-12 });
      }
      losses.push(loss);
      new ReferenceOptimizer({ type: 'sgd', learningRate: LEARNING_RATE }).step(parameters, gradients);
    }
    expectClose('reference losses', losses, tensor('losses'), { relative: 1e-12, absolute: 1e-12 });
    const want = layoutOf(simpleRnnStateDict('sgd.'));
    for (const name of Object.keys(want)) expectClose(`reference ${name} after ${STEPS} steps`, parameters[name], want[name], { relative: 1e-10, absolute: 1e-12 });
  });
});

describe('single bias: the reference LSTM against central differences', () => {
  it('every element of every parameter of a 2-layer single-bias LSTM, relative error below 1e-6', () => {
    const dims = { cell: 'lstm' as const, layers: 2, inputSize: 3, hiddenSize: 3, outputSize: 4, singleBias: true };
    const random = seededRandom(8);
    const shapes: Record<string, number> = { weight_ih_l0: 36, weight_hh_l0: 36, bias_l0: 12, weight_ih_l1: 36, weight_hh_l1: 36, bias_l1: 12, weight: 12, bias: 4 };
    const parameters = Object.fromEntries(Object.entries(shapes).map(([name, length]) => [name, Float64Array.from({ length }, () => random() * 2 - 1)]));
    const lstmBatch = { timeSteps: 3, batchSize: 2, inputs: Float64Array.from({ length: 18 }, () => random() * 2 - 1), targets: [0, 1, 2, 3, 1, 2] };
    const { gradients } = rnnLossAndGradients(parameters, dims, lstmBatch);
    expect(Object.keys(gradients)).toEqual(Object.keys(shapes));
    for (const name of Object.keys(shapes)) {
      const numeric = centralDifferenceGradient(() => rnnForward(parameters, dims, lstmBatch).loss, parameters[name]);
      expectClose(`d loss / d ${name}`, gradients[name], numeric, { relative: 1e-6, absolute: 1e-9 });
    }
  });
});

describe.each(TEST_ADAPTERS)('single bias on %s', (adapter) => {
  it(`loads PyTorch's SimpleRNN state_dict, takes the same ${STEPS} SGD steps and saves it back as i2h/h2o`, async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.fromWeights(context, pytorchFile(), { optimizer: { type: 'sgd', learningRate: LEARNING_RATE } });
    try {
      expect(model.config).toMatchObject({ cell: 'rnn', layers: 1, singleBias: true, inputKind: 'tokens', inputSize: V, hiddenSize: H, outputSize: V });
      expect(Object.keys(model.parameterShapes)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_l0', 'weight', 'bias']);
      model.computeGradients(batch(0));
      const gradients = await model.readGradients();
      const wantGradients = layoutOf(simpleRnnStateDict('grad.'));
      let worstGradient = 0;
      for (const name of Object.keys(wantGradients)) worstGradient = Math.max(worstGradient, report(`gradient ${name}`, gradients[name], wantGradients[name]));
      const losses: number[] = [];
      for (let step = 0; step < STEPS; step++) losses.push(await model.trainStep(batch(step)).loss());
      const worstLoss = report('losses', losses, tensor('losses'));
      const saved = decodeSafetensors(await model.saveWeights());
      expect(Object.keys(saved.tensors)).toEqual(MODULE_NAMES);
      expect(saved.metadata).toMatchObject({ single_bias: 'true', cell: 'rnn', layers: '1' });
      let worstParameter = 0;
      for (const name of MODULE_NAMES) {
        expect(saved.tensors[name].shape).toEqual(fixture.tensors[name].shape);
        worstParameter = Math.max(worstParameter, report(`${name} after ${STEPS} steps`, saved.tensors[name].data, tensor(`sgd.${name}`)));
      }
      console.log(`${adapter}: SimpleRNN vs PyTorch, max abs error: gradients ${worstGradient.toExponential(2)}, losses ${worstLoss.toExponential(2)}, parameters after ${STEPS} SGD steps ${worstParameter.toExponential(2)}`);
    } finally {
      model.dispose();
    }
  });

  it('a 2-layer single-bias LSTM matches the reference: loss, every gradient and 3 SGD steps; its file has rnn.bias_l{k}', async () => {
    const config = { cell: 'lstm' as const, layers: 2, singleBias: true, inputSize: 3, outputSize: 4, hiddenSize: 5, seed: 4, optimizer: { type: 'sgd' as const, learningRate: 0.3 } };
    const dims = { cell: 'lstm' as const, layers: 2, inputSize: 3, hiddenSize: 5, outputSize: 4, singleBias: true };
    const random = seededRandom(31);
    const lstmBatch = { timeSteps: 4, batchSize: 2, inputs: Float32Array.from({ length: 24 }, () => random() * 2 - 1), targets: Uint32Array.from({ length: 8 }, () => Math.floor(random() * 4)) };
    const model = await RnnModel.create(await contextFor(adapter), config);
    try {
      expect(Object.keys(model.parameterShapes)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_l0', 'weight_ih_l1', 'weight_hh_l1', 'bias_l1', 'weight', 'bias']);
      const parameters = Object.fromEntries(Object.entries(await model.readParameters()).map(([name, v]) => [name, Float64Array.from(v)]));
      const want = rnnLossAndGradients(parameters, dims, lstmBatch);
      expect(await model.computeGradients(lstmBatch).loss()).toBeCloseTo(want.loss, 5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name}`, gradients[name], want.gradients[name], { relative: 1e-4, absolute: 2e-6 });
      for (let step = 0; step < 3; step++) {
        model.trainStep(lstmBatch);
        new ReferenceOptimizer({ type: 'sgd', learningRate: 0.3 }).step(parameters, rnnLossAndGradients(parameters, dims, lstmBatch).gradients);
      }
      const after = await model.readParameters();
      for (const name of Object.keys(parameters)) expectClose(`${name} after 3 steps`, after[name], parameters[name], { relative: 1e-4, absolute: 2e-6 });
      const bytes = await model.saveWeights();
      expect(Object.keys(decodeSafetensors(bytes).tensors)).toContain('rnn.bias_l1');
      const loaded = await RnnModel.fromWeights(await contextFor(adapter), bytes);
      expect(loaded.config.singleBias).toBe(true);
      expect(await loaded.readParameters()).toEqual(after);
      loaded.dispose();
    } finally {
      model.dispose();
    }
  });

  it('refuses a single-bias GRU, and a two-bias file for a single-bias model', async () => {
    const context = await contextFor(adapter);
    await expect(RnnModel.create(context, { cell: 'gru', singleBias: true, vocabularySize: 4, hiddenSize: 3 })).rejects.toThrow(InvalidArgumentError);
    await expect(RnnModel.create(context, { cell: 'gru', singleBias: true, vocabularySize: 4, hiddenSize: 3 })).rejects.toThrow("config.singleBias");
    const single = await RnnModel.create(context, { cell: 'rnn', singleBias: true, vocabularySize: 4, hiddenSize: 3 });
    const double = await RnnModel.create(context, { cell: 'rnn', vocabularySize: 4, hiddenSize: 3 });
    try {
      const before = await single.readParameters();
      expect(() => single.loadWeights(new Uint8Array(0))).toThrow();
      await expect((async () => single.loadWeights(await double.saveWeights()))()).rejects.toThrow("missing tensor 'rnn.bias_l0'");
      expect(await single.readParameters()).toEqual(before);
    } finally {
      single.dispose();
      double.dispose();
    }
  });
});
