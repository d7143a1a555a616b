/**
 * The same configs as a TensorFlow.js `tf.layers` model, the way most TF.js users
 * write a character model (the tfjs-examples text generator, with a head at every step):
 *
 *   tf.sequential([
 *     tf.layers.{simpleRNN|lstm|gru}({ units: H, returnSequences: true, inputShape: [T, V] }),
 *     tf.layers.timeDistributed({ layer: tf.layers.dense({ units: V, activation: 'softmax' }) }),
 *   ]).compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' })
 *
 * trained with model.trainOnBatch(x, y) on one-hot inputs x [B, T, V] and one-hot
 * targets y [B, T, V]. The loss is the softmax activation followed by Keras's
 * categoricalCrossentropy (−Σ y·log(clip(p, ε, 1−ε)), mean over B·T), not a fused
 * softmax cross-entropy from logits: that is what a user of tf.layers writes.
 * Every layer keeps its defaults: glorotUniform kernels, orthogonal recurrent
 * kernels, zero biases, the LSTM's unit forget bias, and — for GRU — TF.js's only
 * GRU, reset_after = false (tanh(x·K + b + (r ⊙ h)·R)), not PyTorch's or ours
 * (reset applied after the recurrent product); the FLOPs are the same.
 * trainOnBatch reads the loss back at every step (as fit does per batch), so
 * TF.js's steps do not queue back to back as the hand-written loop's do.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { type BenchConfig, LEARNING_RATE, VOCABULARY } from './configs.ts';
import type { BufferTracker } from './memory.ts';
import { type Repetitions, randomBatch } from './training.ts';
import type { TfjsResult } from './tfjs.ts';
import { countDispatches, countSubmits, now, stepRates, timeRuns } from './timing.ts';

type Tf = typeof TfCore;
type Tfl = typeof TfLayers;

/** What the layers model is, for the tables and the JSON. */
export const LAYERS_MODEL =
  "tf.sequential: {simpleRNN|lstm|gru}(H, returnSequences) → timeDistributed(dense(65, softmax)), loss 'categoricalCrossentropy', tf.train.adam(2e-3), model.trainOnBatch";

/**
 * The one-hot batch of `config` laid out as tf.layers wants it: [B, T, V], batch-major
 * (randomBatch is time-major, row t·B + b). Filled on the CPU, as the tfjs-examples text
 * generator does with tf.buffer. (tf.cast(tf.oneHot(int32), 'float32') on the webgpu backend
 * of 4.22 reached the RNN layer's transpose as an i32 buffer, whose shader then failed to
 * compile: a WGSL type mismatch, and the step's command buffer was dropped.)
 */
function oneHotBatchMajor(tf: Tf, tokens: Uint32Array, config: BenchConfig): TfCore.Tensor3D {
  const { batch: B, timeSteps: T } = config;
  const V = VOCABULARY;
  const values = new Float32Array(B * T * V);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) values[(b * T + t) * V + tokens[t * B + b]] = 1;
  return tf.tensor3d(values, [B, T, V]);
}

export function buildLayersModel(tf: Tf, tfl: Tfl, config: BenchConfig): TfLayers.Sequential {
  const { hidden: H, timeSteps: T, cell } = config;
  const V = VOCABULARY;
  const recurrentArgs = { units: H, returnSequences: true, inputShape: [T, V] };
  const recurrent = cell === 'rnn' ? tfl.layers.simpleRNN(recurrentArgs) : cell === 'lstm' ? tfl.layers.lstm(recurrentArgs) : tfl.layers.gru(recurrentArgs);
  const model = tfl.sequential({ layers: [recurrent, tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: V, activation: 'softmax' }) })] });
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
  return model;
}

/**
 * Times model.trainOnBatch on one config, as benchTfjs times the hand-written loop:
 * the initial loss checked against ln V, warm-up, then the best chunk of back-to-back
 * steps, with dispatches and submissions counted on `device`. Throws if a step leaves
 * tensors behind (each step would then hold more memory than the last).
 */
export async function benchLayersConfig(tf: Tf, tfl: Tfl, device: GPUDevice, config: BenchConfig, repetitions: Repetitions, buffers?: BufferTracker): Promise<TfjsResult> {
  const { batch: B, timeSteps: T } = config;
  const V = VOCABULARY;
  const batch = randomBatch(config);
  const inputs = oneHotBatchMajor(tf, batch.inputTokens, config);
  const labels = oneHotBatchMajor(tf, batch.targets, config);
  let model: TfLayers.Sequential | undefined;
  try {
    const buildStart = now();
    try {
      model = buildLayersModel(tf, tfl, config);
    } catch (error) {
      throw new Error(`building the model (its initializers): ${error instanceof Error ? error.message : String(error)}`);
    }
    // The initializers ran when the model was built (the orthogonal one is a QR on the GPU).
    const buildGpuBytes = buffers?.peakBytes();
    const step = async () => (await model!.trainOnBatch(inputs, labels)) as number;
    const initialLoss = await step();
    const buildAndFirstStepSeconds = now() - buildStart;
    if (!(Math.abs(initialLoss - Math.log(V)) < 0.2)) throw new Error(`initial loss ${initialLoss}, expected ≈ ln ${V} = ${Math.log(V).toFixed(3)}: not timing real work`);
    for (let i = 1; i < repetitions.warmup; i++) await step();
    const tensorsBefore = tf.memory().numTensors;
    const dispatches = { count: 0 };
    const timed = await countSubmits(device, async () => {
      const restore = countDispatches(device, dispatches);
      try {
        // trainOnBatch returns once its loss is read back: every step waits for the last.
        return await timeRuns(device, repetitions.steps, repetitions.minSeconds, step, async () => undefined);
      } finally {
        restore();
      }
    });
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) throw new Error(`${leaked} tensors left behind by ${timed.result.runs} trainOnBatch steps`);
    return { config: config.name, initialLoss, buildAndFirstStepSeconds, buildGpuBytes, ...stepRates(timed, dispatches.count, T * B) };
  } finally {
    // The model's weights and its optimizer's moments, then the batch.
    model?.optimizer?.dispose();
    model?.dispose();
    tf.dispose([inputs, labels]);
  }
}
