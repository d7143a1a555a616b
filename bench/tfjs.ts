/**
 * The same configs trained with TensorFlow.js and its WebGPU backend, on a device
 * of the same adapter kind, created by the same code as ours (createGpuContext).
 *
 * The model as a TF.js user would write it: one-hot inputs as a gather of the
 * rows of W_ihᵀ, a loop over t of tf.matMul and the cell's ops, the head on all
 * steps at once, tf.losses.softmaxCrossEntropy, tf.train.adam(2e-3).minimize.
 * Parameters are stored transposed ([in, out]) so every product is a plain
 * matMul; LSTM and RNN fold b_ih + b_hh into one bias (GRU keeps b_hn apart, as
 * its reset gate needs). Initialization as PyTorch: uniform in ±1/√H.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { type AdapterPreference, createGpuContext, type GpuContext } from '../src/index.ts';
import { GATES } from '../src/index.ts';
import { type BenchConfig, LEARNING_RATE, VOCABULARY } from './configs.ts';
import { type Repetitions, randomBatch } from './training.ts';
import { trackBuffers } from './memory.ts';
import { countDispatches, countSubmits, stepRates, timeRuns } from './timing.ts';
import { benchLayersConfig, LAYERS_MODEL } from './tfjs-layers.ts';

type Tf = typeof TfCore;
const BACKEND = 'webgpu';

export interface TfjsResult {
  config: string;
  initialLoss?: number;
  timedSteps?: number;
  /** Best chunk's seconds per step, as for ours; meanStepSeconds over all timed steps. */
  stepSeconds?: number;
  meanStepSeconds?: number;
  tokensPerSecond?: number;
  /** Tokens per CPU-second of this process, as for ours. */
  tokensPerCpuSecond?: number;
  submitsPerStep?: number;
  dispatchesPerStep?: number;
  /** tf.layers only: seconds to build and compile the model and run its first trainOnBatch (initializers, shader compilation). */
  buildAndFirstStepSeconds?: number;
  /** tf.layers only: peak bytes of GPU buffers once the model is built (its initializers ran), before any step. */
  buildGpuBytes?: number;
  /** Peak bytes of the GPU buffers TF.js created for this config (a fresh backend per config; its buffer pool never shrinks, so also what it holds after the steps). */
  gpuBytes?: number;
  /** Why this config did not run. */
  error?: string;
}

/** 'loop': the hand-written tf.matMul loop below; 'layers': a tf.layers model (tfjs-layers.ts). */
export type TfjsModel = 'loop' | 'layers';

export interface TfjsRun {
  model: TfjsModel;
  /** The model in words. */
  description: string;
  version?: string;
  adapter?: string;
  /** Why TF.js could not run on this adapter at all. */
  error?: string;
  results: TfjsResult[];
}

const LOOP_MODEL = 'hand-written: gather of W_ihᵀ rows, a loop over t of tf.matMul and cell ops, tf.losses.softmaxCrossEntropy, tf.train.adam(2e-3).minimize';

export async function benchTfjs(
  adapter: AdapterPreference,
  configs: BenchConfig[],
  repetitions: Repetitions,
  log: (line: string) => void,
  model: TfjsModel = 'loop',
  memoryLimitBytes = Infinity,
): Promise<TfjsRun> {
  const description = model === 'loop' ? LOOP_MODEL : LAYERS_MODEL;
  let started: TfjsSession;
  let tfl: typeof import('@tensorflow/tfjs-layers') | undefined;
  try {
    started = await startTfjs(adapter);
    if (model === 'layers') tfl = await import('@tensorflow/tfjs-layers');
  } catch (error) {
    return { model, description, error: `TF.js could not start on this adapter: ${message(error)}`, results: [] };
  }
  const { context, tf, startBackend } = started;
  const results: TfjsResult[] = [];
  try {
    for (const config of configs) {
      const buffers = trackBuffers(context.device, memoryLimitBytes);
      try {
        log(`  tfjs ${model} ${config.name} …`);
        await startBackend();
        const result = tfl ? await benchLayersConfig(tf, tfl, context.device, config, repetitions, buffers) : await benchConfig(tf, context.device, config, repetitions);
        context.throwIfFaulted();
        results.push({ ...result, gpuBytes: buffers.peakBytes() });
      } catch (error) {
        results.push({ config: config.name, error: message(error) });
        log(`  tfjs ${model} ${config.name} failed: ${message(error)}`);
        if (/device was lost|WebGPU error/.test(message(error))) break;
      } finally {
        buffers.stop();
      }
    }
  } finally {
    started.stop();
  }
  return { model, description, version: tf.version_core, adapter: context.description, results };
}

/** TF.js with its WebGPU backend on a device of its own (`context`); startBackend gives it a fresh backend. */
export interface TfjsSession {
  context: GpuContext;
  tf: Tf;
  /** A fresh backend (the old one's buffer pool, which never shrinks, destroyed): each config's GPU bytes are its own. */
  startBackend: () => Promise<void>;
  stop: () => void;
}

/** Starts TF.js's WebGPU backend on a new device of `adapter` (throws where it cannot). */
export async function startTfjs(adapter: AdapterPreference): Promise<TfjsSession> {
  const context = await createGpuContext({ adapter });
  try {
    const tf = await import('@tensorflow/tfjs-core');
    // tfjs-core alone registers no gradients and no chained ops (tensor.reshape(), used by
    // tfjs-layers); the @tensorflow/tfjs package a user imports does both.
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    // WebGPUBackend only checks that navigator.gpu exists (Node has none); the device is ours.
    if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true, writable: true });
    }
    const info = context.adapter;
    const device = context.device;
    // The backend's kernels are registered under the name 'webgpu'; the factory replaces its adapter request with our device.
    const startBackend = async () => {
      if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
      tf.registerBackend(BACKEND, () => new WebGPUBackend(device, { vendor: info.vendor, architecture: info.architecture, description: info.description } as GPUAdapterInfo));
      if (!(await tf.setBackend(BACKEND))) throw new Error('tf.setBackend failed');
    };
    await startBackend();
    return {
      context,
      tf,
      startBackend,
      stop: () => {
        if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
        context.destroy();
      },
    };
  } catch (error) {
    context.destroy();
    throw error;
  }
}

/** The hand-written loop model of a config: `step` queues one training step and returns its loss (dispose it); `dispose` frees the rest. */
export interface TfjsLoopModel {
  step: () => TfCore.Scalar;
  dispose: () => void;
}

export function loopModel(tf: Tf, config: BenchConfig): TfjsLoopModel {
  const { hidden: H, batch: B, timeSteps: T, cell } = config;
  const V = VOCABULARY;
  const GH = GATES[cell] * H;
  const bound = 1 / Math.sqrt(H);
  // Our own generator, so that the weights do not depend on TF.js's random ops.
  let state = 12345;
  const uniform = (shape: number[], name: string) => {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state / 2 ** 32) * 2 * bound - bound;
    });
    return tf.variable(tf.tensor(values, shape), true, `${config.name}/${name}`);
  };
  const inputWeights = uniform([V, GH], 'W_ihT'); // row v = column v of W_ih: the one-hot product is a gather
  const recurrentWeights = uniform([H, GH], 'W_hhT');
  const bias = uniform([GH], 'b');
  const recurrentBias = cell === 'gru' ? uniform([GH], 'b_hh') : undefined;
  const headWeights = uniform([H, V], 'W_yT');
  const headBias = uniform([V], 'b_y');
  const variables = [inputWeights, recurrentWeights, bias, headWeights, headBias, ...(recurrentBias ? [recurrentBias] : [])];

  const batch = randomBatch(config);
  const tokens = tf.tensor1d(Int32Array.from(batch.inputTokens), 'int32');
  const labels = tf.oneHot(tf.tensor1d(Int32Array.from(batch.targets), 'int32'), V);
  const optimizer = tf.train.adam(LEARNING_RATE);

  const cellStep = (x: TfCore.Tensor2D, h: TfCore.Tensor2D, c: TfCore.Tensor2D): [TfCore.Tensor2D, TfCore.Tensor2D] => {
    if (cell === 'rnn') return [tf.tanh(tf.add(x, tf.matMul(h, recurrentWeights))), c];
    if (cell === 'lstm') {
      const [i, f, g, o] = tf.split(tf.add(x, tf.matMul(h, recurrentWeights)), 4, 1) as TfCore.Tensor2D[];
      const next = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as TfCore.Tensor2D;
      return [tf.mul(tf.sigmoid(o), tf.tanh(next)), next];
    }
    const [xr, xz, xn] = tf.split(x, 3, 1);
    const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, recurrentWeights), recurrentBias!), 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return [tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as TfCore.Tensor2D, c];
  };
  const loss = () => {
    const projected = tf.reshape(tf.add(tf.gather(inputWeights, tokens), bias), [T, B, GH]);
    const inputs = tf.unstack(projected) as TfCore.Tensor2D[];
    let h = tf.zeros([B, H]) as TfCore.Tensor2D;
    let c = tf.zeros([B, H]) as TfCore.Tensor2D;
    const states: TfCore.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      [h, c] = cellStep(inputs[t], h, c);
      states.push(h);
    }
    const logits = tf.add(tf.matMul(tf.reshape(tf.stack(states), [T * B, H]) as TfCore.Tensor2D, headWeights), headBias);
    return tf.losses.softmaxCrossEntropy(labels, logits) as TfCore.Scalar;
  };
  const step = () => optimizer.minimize(loss, true, variables)!;
  return {
    step,
    dispose: () => {
      optimizer.dispose();
      tf.dispose([tokens, labels, ...variables]);
    },
  };
}

/** Runs a loop model's first step and checks its loss is ≈ ln V (real work), then `warmup` − 1 more; returns the first loss. */
export async function firstSteps(model: TfjsLoopModel, warmup: number): Promise<number> {
  const first = model.step();
  const initialLoss = (await first.data())[0];
  first.dispose();
  if (!(Math.abs(initialLoss - Math.log(VOCABULARY)) < 0.2)) throw new Error(`initial loss ${initialLoss}, expected ≈ ln ${VOCABULARY} = ${Math.log(VOCABULARY).toFixed(3)}: not timing real work`);
  // Reading the last loss flushes TF.js's deferred submissions.
  for (let i = 1; i < warmup; i++) {
    const cost = model.step();
    if (i === warmup - 1) await cost.data();
    cost.dispose();
  }
  return initialLoss;
}

async function benchConfig(tf: Tf, device: GPUDevice, config: BenchConfig, repetitions: Repetitions): Promise<TfjsResult> {
  const { batch: B, timeSteps: T } = config;
  const model = loopModel(tf, config);
  const step = model.step;
  try {
    const initialLoss = await firstSteps(model, repetitions.warmup);
    const dispatches = { count: 0 };
    let last: TfCore.Scalar | undefined;
    const timed = await countSubmits(device, async () => {
      const restore = countDispatches(device, dispatches);
      try {
        // Steps queue back to back; reading the last loss of a chunk waits for all of them.
        const run = () => {
          last?.dispose();
          last = step();
        };
        return await timeRuns(device, repetitions.steps, repetitions.minSeconds, run, async () => last?.data());
      } finally {
        restore();
        last?.dispose();
      }
    });
    return { config: config.name, initialLoss, ...stepRates(timed, dispatches.count, T * B) };
  } finally {
    model.dispose();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
