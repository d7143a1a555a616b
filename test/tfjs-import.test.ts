/**
 * Weights in from TensorFlow.js: models built with @tensorflow/tfjs-layers (SimpleRNN
 * tanh/relu, LSTM; 1 and 2 layers; Embedding or dense inputs; a Dense head), given
 * random weights, saved in the model.json + weights format tf.io writes, imported,
 * and predict() compared with TF.js's own predict(). GRU with reset_after=true (Keras's
 * default, which TF.js cannot build) is checked against Keras's GRU equations
 * evaluated here in float64; TF.js's GRU (reset_after=false) and other layers that do
 * not map are refused with errors that say why.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTfjsModel, InvalidArgumentError, readTfjsModel, type TfjsModelFiles } from '../src/index.ts';
import { compareArrays, expectClose } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats, seededRandom } from './random.ts';

const SIZES = { vocabulary: 7, embedding: 4, dense: 3, hidden: 6, output: 5, timeSteps: 5, batchSize: 3 };
const TOLERANCE = { relative: 1e-5, absolute: 2e-6 };
let worst = 0;
const WARM_UP_TIMEOUT = 600_000;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => console.log(`TF.js / Keras import: worst abs error of predict() vs the reference ${worst.toExponential(2)}`));

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  worst = Math.max(worst, compareArrays(got, want, TOLERANCE).maxAbsolute);
  expectClose(what, got, want, TOLERANCE);
}

type Recurrent = 'simpleRNN-tanh' | 'simpleRNN-relu' | 'lstm';

/** A Sequential [Embedding] → RNN × layers → Dense model with seeded random weights (biases included). */
function buildTfjsModel(recurrent: Recurrent, layers: number, input: 'embedding' | 'dense', seed: number, returnSequences = true): tfl.Sequential {
  const model = tfl.sequential();
  const { timeSteps: T } = SIZES;
  if (input === 'embedding') model.add(tfl.layers.embedding({ inputDim: SIZES.vocabulary, outputDim: SIZES.embedding, inputLength: T }));
  for (let k = 0; k < layers; k++) {
    const common = {
      units: SIZES.hidden,
      returnSequences: k < layers - 1 || returnSequences,
      // Not the default 'orthogonal': it needs tfjs-core's chained tensor ops, which its Node bundle does not register.
      recurrentInitializer: 'glorotUniform' as const,
      ...(k === 0 && input === 'dense' ? { inputShape: [T, SIZES.dense] } : {}),
    };
    if (recurrent === 'lstm') model.add(tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' }));
    else model.add(tfl.layers.simpleRNN({ ...common, activation: recurrent === 'simpleRNN-relu' ? 'relu' : 'tanh' }));
  }
  model.add(tfl.layers.dense({ units: SIZES.output }));
  const random = seededRandom(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => random() - 0.5), w.shape)));
  return model;
}

/** The files tf.io writes for a layers model (as browserDownloads does): model.json and one weights file. */
async function saveAsFiles(model: tfl.LayersModel): Promise<{ modelJson: string; weights: Record<string, Uint8Array> }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const weightData = tf.io.CompositeArrayBuffer.join(saved!.weightData!);
  const modelJson = JSON.stringify({
    modelTopology: saved!.modelTopology,
    format: 'layers-model',
    generatedBy: saved!.generatedBy,
    convertedBy: null,
    weightsManifest: [{ paths: ['./model.weights.bin'], weights: saved!.weightSpecs }],
  });
  return { modelJson, weights: { './model.weights.bin': new Uint8Array(weightData) } };
}

/** Batch-major [B, T, …] rows → time-major [T, B, …]. */
function timeMajor(values: ArrayLike<number>, B: number, T: number, width: number): Float32Array {
  const out = new Float32Array(B * T * width);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let i = 0; i < width; i++) out[(t * B + b) * width + i] = values[(b * T + t) * width + i];
  return out;
}

describe.each(TEST_ADAPTERS)('TF.js layers models imported, on %s', (adapter) => {
  // Every kernel compiled up front, so that no test pays for it (minutes on a loaded software adapter).
  beforeAll(async () => {
    await kernelsFor(adapter);
  }, WARM_UP_TIMEOUT);

  for (const recurrent of ['simpleRNN-tanh', 'simpleRNN-relu', 'lstm'] as const) {
    for (const layers of [1, 2]) {
      it(`${recurrent}, ${layers} layer${layers > 1 ? 's' : ''} × embedding, dense inputs: predict() matches TF.js`, async () => {
        const context = await contextFor(adapter);
        const { timeSteps: T, batchSize: B } = SIZES;
        let seed = 100 * layers;
        for (const input of ['embedding', 'dense'] as const) {
          seed += 11;
          const what = `${recurrent} L=${layers} ${input}`;
          const tfjsModel = buildTfjsModel(recurrent, layers, input, seed);
          const random = seededRandom(seed);
          const ids = Array.from({ length: B * T }, () => Math.floor(random() * SIZES.vocabulary));
          const dense = randomFloats(B * T * SIZES.dense, seed + 1, 1.5);
          const x = input === 'embedding' ? tf.tensor2d(ids, [B, T]) : tf.tensor3d(dense, [B, T, SIZES.dense]);
          const want = timeMajor((tfjsModel.predict(x) as tf.Tensor).dataSync(), B, T, SIZES.output);

          const model = await importTfjsModel(context, await saveAsFiles(tfjsModel));
          try {
            expect(model.config.cell).toBe(recurrent === 'lstm' ? 'lstm' : 'rnn');
            expect(model.config.nonlinearity).toBe(recurrent === 'simpleRNN-relu' ? 'relu' : 'tanh');
            expect(model.config.layers).toBe(layers);
            const batch =
              input === 'embedding'
                ? { timeSteps: T, batchSize: B, inputTokens: timeMajor(ids, B, T, 1) }
                : { timeSteps: T, batchSize: B, inputs: timeMajor(dense, B, T, SIZES.dense) };
            compare(`${what} logits`, (await model.predict(batch)).logits, want);
          } finally {
            model.dispose();
            tfjsModel.dispose();
          }
        }
      });
    }
  }

  it('a many-to-one LSTM (return_sequences false at the top), from in-memory ModelArtifacts: the last step matches', async () => {
    const context = await contextFor(adapter);
    const { timeSteps: T, batchSize: B } = SIZES;
    const tfjsModel = buildTfjsModel('lstm', 2, 'dense', 7, false);
    const dense = randomFloats(B * T * SIZES.dense, 8, 1.5);
    const want = (tfjsModel.predict(tf.tensor3d(dense, [B, T, SIZES.dense])) as tf.Tensor).dataSync();
    let saved: tf.io.ModelArtifacts | undefined;
    await tfjsModel.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const files = { modelJson: saved!, weights: tf.io.CompositeArrayBuffer.join(saved!.weightData!) };
    expect(readTfjsModel(files).returnSequences).toBe(false);
    const model = await importTfjsModel(context, files);
    try {
      const { logits } = await model.predict({ timeSteps: T, batchSize: B, inputs: timeMajor(dense, B, T, SIZES.dense) });
      compare('many-to-one logits at the last step', logits.subarray((T - 1) * B * SIZES.output), want);
    } finally {
      model.dispose();
      tfjsModel.dispose();
    }
  });

  it("a Keras GRU with reset_after=true (bias [2, 3H]) matches Keras's GRU equations in float64", async () => {
    const context = await contextFor(adapter);
    const files = kerasGruFiles(21);
    const model = await importTfjsModel(context, files);
    try {
      const { timeSteps: T, batchSize: B } = SIZES;
      const random = seededRandom(22);
      const ids = Array.from({ length: T * B }, () => Math.floor(random() * SIZES.vocabulary));
      const want = kerasGruForward(files, ids, T, B);
      compare('Keras GRU logits', (await model.predict({ timeSteps: T, batchSize: B, inputTokens: ids })).logits, want);
    } finally {
      model.dispose();
    }
  });
});

describe('TF.js layers models that do not map are refused', () => {
  it("TF.js's GRU (reset_after false): a different function from PyTorch's GRU", async () => {
    const model = tfl.sequential({ layers: [tfl.layers.gru({ units: 4, inputShape: [3, 2], recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2 })] });
    expect(readTfjsModel.bind(null, await saveAsFiles(model))).toThrow(/reset_after false.*only reset_after true .* maps exactly/);
  });

  it("an LSTM with TF.js's default recurrent activation, hardSigmoid", async () => {
    const model = tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, inputShape: [3, 2], recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2 })] });
    expect(readTfjsModel.bind(null, await saveAsFiles(model))).toThrow(InvalidArgumentError);
    expect(readTfjsModel.bind(null, await saveAsFiles(model))).toThrow(/recurrent_activation .*logistic sigmoid/);
  });

  it('a model without a Dense head, mixed cells, a non-linear head, truncated or missing weights, a graph model', async () => {
    const lstm = (returnSequences: boolean) => tfl.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', returnSequences });
    const noHead = tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [3, 2], recurrentInitializer: 'glorotUniform' })] });
    expect(readTfjsModel.bind(null, await saveAsFiles(noHead))).toThrow(/expected one Dense layer/);
    const mixed = tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [3, 2], returnSequences: true, recurrentInitializer: 'glorotUniform' }), lstm(true), tfl.layers.dense({ units: 2 })] });
    expect(readTfjsModel.bind(null, await saveAsFiles(mixed))).toThrow(/every layer must be the same cell/);
    const reluHead = tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [3, 2], recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2, activation: 'relu' })] });
    expect(readTfjsModel.bind(null, await saveAsFiles(reluHead))).toThrow(/activation "relu"/);
    const good = await saveAsFiles(tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [3, 2], recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2 })] }));
    expect(readTfjsModel(good).config).toEqual({ cell: 'rnn', nonlinearity: 'tanh', layers: 1, hiddenSize: 4, outputSize: 2, inputSize: 2 });
    const truncated = { ...good, weights: { './model.weights.bin': good.weights['./model.weights.bin'].subarray(0, 40) } };
    expect(() => readTfjsModel(truncated)).toThrow(/truncated/);
    expect(() => readTfjsModel({ ...good, weights: {} })).toThrow(/no file "\.\/model\.weights\.bin"/);
    expect(() => readTfjsModel({ modelJson: '{"format": "graph-model", "modelTopology": {}}', weights: {} })).toThrow(/graph model/);
  });
});

// --- A Keras GRU (reset_after=true) model, as the tensorflowjs converter writes it from Keras ---

interface KerasGruWeights {
  embeddings: Float32Array; // [V, D]
  kernel: Float32Array; // [D, 3H], blocks z, r, h
  recurrentKernel: Float32Array; // [H, 3H]
  bias: Float32Array; // [2, 3H]: input bias, recurrent bias
  denseKernel: Float32Array; // [H, O]
  denseBias: Float32Array; // [O]
}

const gruWeights = new Map<TfjsModelFiles, KerasGruWeights>();

function kerasGruFiles(seed: number): TfjsModelFiles {
  const { vocabulary: V, embedding: D, hidden: H, output: O } = SIZES;
  const w: KerasGruWeights = {
    embeddings: randomFloats(V * D, seed, 1),
    kernel: randomFloats(D * 3 * H, seed + 1, 0.6),
    recurrentKernel: randomFloats(H * 3 * H, seed + 2, 0.6),
    bias: randomFloats(2 * 3 * H, seed + 3, 0.5),
    denseKernel: randomFloats(H * O, seed + 4, 0.6),
    denseBias: randomFloats(O, seed + 5, 0.5),
  };
  const specs = [
    { name: 'embedding/embeddings', shape: [V, D], data: w.embeddings },
    { name: 'gru/gru_cell/kernel', shape: [D, 3 * H], data: w.kernel },
    { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], data: w.recurrentKernel },
    { name: 'gru/gru_cell/bias', shape: [2, 3 * H], data: w.bias },
    { name: 'time_distributed/kernel', shape: [H, O], data: w.denseKernel },
    { name: 'time_distributed/bias', shape: [O], data: w.denseBias },
  ];
  const bytes = new Uint8Array(specs.reduce((sum, spec) => sum + spec.data.byteLength, 0));
  let offset = 0;
  for (const spec of specs) {
    bytes.set(new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength), offset);
    offset += spec.data.byteLength;
  }
  const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: undefined,
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          layer('InputLayer', { batch_input_shape: [null, null], dtype: 'int32', name: 'input_1' }),
          layer('Embedding', { name: 'embedding', input_dim: V, output_dim: D, mask_zero: false }),
          layer('GRU', { name: 'gru', units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: true, reset_after: true, go_backwards: false }),
          layer('Dropout', { name: 'dropout', rate: 0.2 }),
          layer('TimeDistributed', { name: 'time_distributed', layer: layer('Dense', { name: 'dense', units: O, activation: 'linear', use_bias: true }) }),
        ],
      },
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }],
  };
  const files = { modelJson: JSON.stringify(modelJson), weights: { 'group1-shard1of1.bin': bytes } };
  gruWeights.set(files, w);
  return files;
}

/**
 * Keras's GRUCell with reset_after=True, in float64, on Keras's own layout:
 *   [x_z, x_r, x_h] = x K + b_in,  [h_z, h_r, h_h] = h R + b_rec
 *   z = σ(x_z + h_z),  r = σ(x_r + h_r),  hh = tanh(x_h + r ⊙ h_h),  h' = z ⊙ h + (1 − z) ⊙ hh
 * then the Dense head. Tokens time-major; returns logits [T·B, O] time-major.
 */
function kerasGruForward(files: TfjsModelFiles, ids: number[], T: number, B: number): Float64Array {
  const w = gruWeights.get(files)!;
  const { embedding: D, hidden: H, output: O } = SIZES;
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const logits = new Float64Array(T * B * O);
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const x = w.embeddings.subarray(ids[t * B + b] * D, ids[t * B + b] * D + D);
      const xs = new Float64Array(3 * H);
      const hs = new Float64Array(3 * H);
      for (let j = 0; j < 3 * H; j++) {
        xs[j] = w.bias[j];
        hs[j] = w.bias[3 * H + j];
        for (let i = 0; i < D; i++) xs[j] += x[i] * w.kernel[i * 3 * H + j];
        for (let i = 0; i < H; i++) hs[j] += h[i] * w.recurrentKernel[i * 3 * H + j];
      }
      const next = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        const z = sigmoid(xs[u] + hs[u]);
        const r = sigmoid(xs[H + u] + hs[H + u]);
        const hh = Math.tanh(xs[2 * H + u] + r * hs[2 * H + u]);
        next[u] = z * h[u] + (1 - z) * hh;
      }
      h = next;
      for (let o = 0; o < O; o++) {
        let sum = w.denseBias[o];
        for (let u = 0; u < H; u++) sum += h[u] * w.denseKernel[u * O + o];
        logits[(t * B + b) * O + o] = sum;
      }
    }
  }
  return logits;
}
