/**
 * Our training step on one config: throughput, counts, and where the time goes.
 *
 * The split comes from timing variants of the schedule, each over the same batch
 * (where the device has timestamp queries, kernel-times.ts also measures each kernel's GPU time):
 *   step       trainStep (forward, loss, BPTT, Adam), no readback between steps
 *   gradients  computeGradients (no optimizer)       → update = step − gradients
 *   forward    predict (forward only, logits read back) → loss + backward = gradients − forward
 *   half       trainStep on T/2 steps                 → fixed per step = 2·half − step
 *                                                       (encoding, submission, Adam, clears)
 * and the matrix products of the step timed alone (bench/matmul.ts):
 *   recurrent matmuls  the 2T products inside the loops over t
 *   batched matmuls    head and weight gradients over all T·B rows
 *   other              step − both: cells, gather/scatter, softmax, column sums, Adam, overhead
 */
import { type GpuContext, RnnModel } from '../src/index.ts';
import { GATES } from '../src/index.ts';
import { type BenchConfig, LEARNING_RATE, type StepProduct, VOCABULARY, stepFlops } from './configs.ts';
import { type KernelTimes, profileKernelTimes } from './kernel-times.ts';
import { parameterCount, trackBuffers } from './memory.ts';
import { countSubmits, timeRuns } from './timing.ts';

export interface Repetitions {
  warmup: number;
  /** Timed training steps, at least; more while the timed runs last under minSeconds. */
  steps: number;
  /** Runs of each profiling variant, at least (also extended to minSeconds). */
  variants: number;
  minSeconds: number;
}

export interface TrainingResult {
  config: BenchConfig;
  initialLoss: number;
  /** Timed steps (at least --steps, more to fill the minimum time). */
  timedSteps: number;
  /** Best chunk's seconds per step; meanStepSeconds over all timed steps. */
  stepSeconds: number;
  meanStepSeconds: number;
  stepsPerSecond: number;
  tokensPerSecond: number;
  /** Tokens per CPU-second of this process (CPU adapters: robust to other load on the machine). */
  tokensPerCpuSecond: number;
  flopsPerStep: number;
  gflops: number;
  dispatches: Record<string, number>;
  submitsPerStep: number;
  /** Peak bytes of the GPU buffers the model created up to and through its first steps, and per parameter and per token (T·B). */
  gpuBytes: number;
  gpuBytesPerParameter: number;
  gpuBytesPerToken: number;
  /** Seconds the step's products take alone (Σ count × isolated time), and step GFLOP/s ÷ their GFLOP/s. */
  isolatedMatmulSeconds: number;
  fractionOfIsolatedMatmul: number;
  profile: {
    forwardSeconds: number;
    lossAndBackwardSeconds: number;
    updateSeconds: number;
    fixedPerStepSeconds: number;
    perTimeStepSeconds: number;
    recurrentMatmulSeconds: number;
    batchedMatmulSeconds: number;
    otherSeconds: number;
  };
  /** Where the device has timestamp queries: GPU time per kernel of a profiled step (kernel-times.ts). */
  kernelTimes?: KernelTimes;
}

/** A deterministic batch of random tokens (same generator as the TF.js side). */
export function randomBatch(config: BenchConfig, timeSteps = config.timeSteps, seed = 7) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % VOCABULARY;
  };
  const count = timeSteps * config.batch;
  const inputTokens = Uint32Array.from({ length: count }, next);
  const targets = Uint32Array.from({ length: count }, next);
  return { timeSteps, batchSize: config.batch, inputTokens, targets };
}

export async function benchTraining(
  context: GpuContext,
  config: BenchConfig,
  repetitions: Repetitions,
  isolatedSeconds: (product: StepProduct) => number,
  products: StepProduct[],
): Promise<TrainingResult> {
  const device = context.device;
  const { timeSteps: T, batch: B } = config;
  const buffers = trackBuffers(device);
  const model = await RnnModel.create(context, {
    cell: config.cell,
    vocabularySize: VOCABULARY,
    hiddenSize: config.hidden,
    seed: 1,
    optimizer: { type: 'adam', learningRate: LEARNING_RATE },
  });
  try {
    const batch = randomBatch(config);
    const halfBatch = randomBatch(config, T / 2);
    const variant = async (run: () => unknown) => (await timeRuns(device, repetitions.variants, repetitions.minSeconds, run)).seconds;

    const initialLoss = await model.trainStep(batch).loss();
    for (let i = 1; i < repetitions.warmup; i++) model.trainStep(batch);
    await device.queue.onSubmittedWorkDone();
    buffers.stop();
    const gpuBytes = buffers.peakBytes();
    const timed = await countSubmits(device, () => timeRuns(device, repetitions.steps, repetitions.minSeconds, () => model.trainStep(batch)));
    const stepSeconds = timed.result.seconds;
    const submitsPerStep = timed.submits / timed.result.runs;

    // GPU time per kernel, where timestamp queries are available (a profiled step is a real step: after the timed ones).
    const kernelTimes = device.features.has('timestamp-query') ? await profileKernelTimes(model, batch, repetitions.variants) : undefined;

    const gradientsSeconds = await variant(() => model.computeGradients(batch));
    await model.predict(batch); // the forward-only path, warmed
    const forwardSeconds = await variant(() => model.predict(batch));
    model.trainStep(halfBatch); // builds the T/2 plan
    const halfSeconds = await variant(() => model.trainStep(halfBatch));

    const flopsPerStep = stepFlops(config);
    const sumOf = (kind: StepProduct['kind']) =>
      products.filter((product) => product.kind === kind).reduce((sum, product) => sum + product.count * isolatedSeconds(product), 0);
    const recurrentMatmulSeconds = sumOf('recurrent');
    const batchedMatmulSeconds = sumOf('batched');
    const isolatedMatmulSeconds = recurrentMatmulSeconds + batchedMatmulSeconds;
    context.throwIfFaulted();
    return {
      config,
      initialLoss,
      timedSteps: timed.result.runs,
      stepSeconds,
      meanStepSeconds: timed.result.mean,
      stepsPerSecond: 1 / stepSeconds,
      tokensPerSecond: (T * B) / stepSeconds,
      tokensPerCpuSecond: (T * B) / timed.result.cpuSeconds,
      flopsPerStep,
      gflops: flopsPerStep / stepSeconds / 1e9,
      dispatches: model.dispatchesPerStep(T, B),
      submitsPerStep,
      gpuBytes,
      gpuBytesPerParameter: gpuBytes / parameterCount(GATES[config.cell], config.hidden, VOCABULARY),
      gpuBytesPerToken: gpuBytes / (T * B),
      isolatedMatmulSeconds,
      fractionOfIsolatedMatmul: isolatedMatmulSeconds / stepSeconds,
      profile: {
        forwardSeconds,
        lossAndBackwardSeconds: gradientsSeconds - forwardSeconds,
        updateSeconds: stepSeconds - gradientsSeconds,
        fixedPerStepSeconds: 2 * halfSeconds - stepSeconds,
        perTimeStepSeconds: (stepSeconds - halfSeconds) / (T - T / 2),
        recurrentMatmulSeconds,
        batchedMatmulSeconds,
        otherSeconds: stepSeconds - isolatedMatmulSeconds,
      },
      kernelTimes,
    };
  } finally {
    buffers.stop();
    model.dispose();
  }
}
