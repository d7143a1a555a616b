/**
 * GPU time per dispatch from timestamp queries (the bench's "GPU time per kernel"), on
 * SwiftShader, whose Vulkan driver offers 'timestamp-query': a profiled plan or training
 * step times every dispatch in a pass of its own, with the labels and kernels of the plan,
 * and does the same work as a normal run, bit for bit. Where the device was created
 * without the feature (the default), profiling refuses and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { createGpuContext, type GpuContext } from '../src/device/gpu-context.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { DispatchProfiler } from '../src/kernels/dispatch-profiler.ts';
import { ALL_KERNELS, KernelSet, LLVMPIPE_ONLY_TILES } from '../src/kernels/kernel-set.ts';
import { InvalidArgumentError, RnnModel, type RnnModelConfig } from '../src/index.ts';
import { contextFor } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

const ADAPTER = 'swiftshader';
let context: GpuContext;

beforeAll(async () => {
  context = await createGpuContext({ adapter: ADAPTER, timestampQueries: true }).catch((error: Error) => {
    throw new Error(`Profiling tests need the '${ADAPTER}' WebGPU adapter and could not get it: ${error.message}`);
  });
  if (!context.device.features.has('timestamp-query')) {
    throw new Error(
      `Profiling tests need 'timestamp-query' on ${context.description}, which SwiftShader's Vulkan driver offers; ` +
        `this device has: ${[...context.device.features].sort().join(', ')}. ` +
        'Check that the SwiftShader ICD is the one chromium ships (WEBGPU_RNN_SWIFTSHADER_ICD) and that Dawn offers the feature on it.',
    );
  }
});

afterAll(() => context?.destroy());

const MODEL: RnnModelConfig = { cell: 'lstm', layers: 2, vocabularySize: 7, hiddenSize: 9, seed: 3, optimizer: { type: 'adam', learningRate: 0.01 } };
const T = 4;
const B = 3;

function batch(seed: number) {
  const tokens = Uint32Array.from({ length: T * B }, (_, i) => (i * 5 + seed * 3) % 7);
  const targets = Uint32Array.from({ length: T * B }, (_, i) => (i * 3 + seed) % 7);
  return { timeSteps: T, batchSize: B, inputTokens: tokens, targets };
}

/** Positions in `labels` of those that match `pattern`, with the number it captures. */
function numbered(labels: string[], pattern: RegExp): { at: number; value: number }[] {
  return labels.flatMap((label, at) => {
    const match = pattern.exec(label);
    return match ? [{ at, value: Number(match[1]) }] : [];
  });
}

describe(`profiling with timestamp queries on ${ADAPTER}`, () => {
  it('times every dispatch of a plan in order, across several query sets, with the results of a normal run', async () => {
    const device = context.device;
    const kernels = await KernelSet.load(device);
    // The untransposed products' cores (those of llvmpipe's choice only where it is llvmpipe).
    const elsewhere = (key: string) => key.endsWith(' textures') || LLVMPIPE_ONLY_TILES.some((tile) => key.includes(` ${tile} `));
    await kernels.ensure(ALL_KERNELS.filter((key) => key.startsWith('matmul') && key.includes(' NN') && (kernels.llvmpipe || !elsewhere(key))));
    const [m, n, k] = [8, 5, 6];
    const a = createStorageBufferWith(device, 'A', randomFloats(m * k, 11));
    const b = createStorageBufferWith(device, 'B', randomFloats(k * n, 12));
    const buildPlan = (c: GPUBuffer) => {
      const plan = new DispatchPlan(device, 'five products');
      // C = A·B, then C += A·B four times: each dispatch reads what the one before wrote.
      for (let i = 0; i < 5; i++) {
        kernels.matmul(plan, { a: { buffer: a, offset: 0 }, b: { buffer: b, offset: 0 }, c: { buffer: c, offset: 0 }, m, n, k, accumulate: i > 0 }, `product ${i}`);
      }
      return plan;
    };
    const normalC = createStorageBufferWith(device, 'C normal', new Float32Array(m * n));
    const profiledC = createStorageBufferWith(device, 'C profiled', new Float32Array(m * n));
    const normal = buildPlan(normalC);
    const profiled = buildPlan(profiledC);
    try {
      normal.submit();
      // 4 queries per set: 2 dispatches each, so 3 sets, the last one half used.
      const timings = await profiled.profile(4);
      expect(timings.map((timing) => timing.label)).toEqual(['product 0', 'product 1', 'product 2', 'product 3', 'product 4']);
      expect(timings.map((timing) => timing.index)).toEqual([0, 1, 2, 3, 4]);
      for (const timing of timings) {
        expect(timing.kernel).toMatch(/^matmul/);
        expect(timing.nanoseconds, timing.label).toBeGreaterThan(0);
        expect(Number.isFinite(timing.nanoseconds)).toBe(true);
      }
      // Passes run in order: each begins after the one before began.
      expect(timings[0].startNanoseconds).toBe(0);
      for (let i = 1; i < timings.length; i++) expect(timings[i].startNanoseconds).toBeGreaterThan(timings[i - 1].startNanoseconds);
      const want = await readFloats(device, normalC, 0, m * n);
      const got = await readFloats(device, profiledC, 0, m * n);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(0);
    } finally {
      normal.destroy();
      profiled.destroy();
      for (const buffer of [a, b, normalC, profiledC]) buffer.destroy();
    }
  });

  it('profiles one training step: a positive time per dispatch, labelled as the plan records them, and the steps after it as without profiling', async () => {
    const profiledModel = await RnnModel.create(context, MODEL);
    // The same model on the same device, stepped normally throughout.
    const normalModel = await RnnModel.create(context, MODEL);
    try {
      const profiledLosses: number[] = [];
      const normalLosses: number[] = [];
      for (let step = 0; step < 5; step++) {
        normalLosses.push(await normalModel.trainStep(batch(step)).loss());
        if (step === 2) {
          const { step: result, dispatches } = await profiledModel.profileTrainStep(batch(step));
          profiledLosses.push(await result.loss());
          const counts = profiledModel.dispatchesPerStep(T, B);
          expect(dispatches.length).toBe(counts.total);
          for (const dispatch of dispatches) {
            expect(dispatch.nanoseconds, dispatch.label).toBeGreaterThan(0);
            expect(dispatch.label.length).toBeGreaterThan(0);
          }
          const labels = dispatches.map((dispatch) => dispatch.label);
          // Per layer: the cell forward t = 0..T−1, then (layers top down) backward t = T−1..0.
          const forward = [0, 1].map((layer) => numbered(labels, new RegExp(`^layer ${layer} LSTM cell t=(\\d+)$`)));
          const backward = [0, 1].map((layer) => numbered(labels, new RegExp(`^layer ${layer} LSTM cell backward t=(\\d+)$`)));
          for (const layer of [0, 1]) {
            expect(forward[layer].map((entry) => entry.value)).toEqual([0, 1, 2, 3]);
            expect(backward[layer].map((entry) => entry.value)).toEqual([3, 2, 1, 0]);
          }
          expect(forward[0].at(-1)!.at).toBeLessThan(forward[1][0].at);
          expect(backward[1].at(-1)!.at).toBeLessThan(backward[0][0].at);
          // The head, the loss, backward, the norm and the update, in the order a step runs them.
          const order = ['head', 'softmax cross-entropy', 'mean loss', 'head weight gradient', 'gradient norm: partial sums of squares', 'adam update'].map((label) => labels.indexOf(label));
          expect(order.every((at) => at >= 0)).toBe(true);
          expect([...order].sort((x, y) => x - y)).toEqual(order);
          expect(labels.at(-1)).toBe('adam update');
          expect(dispatches.at(-1)!.kernel).toBe('adamUpdate');
          expect(labels.slice(0, counts.forward).filter((label) => /backward|gradient/.test(label))).toEqual([]);
          expect(profiledModel.stepCount).toBe(3);
        } else {
          profiledLosses.push(await profiledModel.trainStep(batch(step)).loss());
        }
      }
      expect(profiledLosses).toEqual(normalLosses);
      expect(profiledLosses.every(Number.isFinite)).toBe(true);
      const got = await profiledModel.readParameters();
      const want = await normalModel.readParameters();
      for (const name of Object.keys(want)) expect(Array.from(got[name]), name).toEqual(Array.from(want[name]));
    } finally {
      profiledModel.dispose();
      normalModel.dispose();
    }
  });

  it('refuses to profile on a device created without timestamp queries (the default), changing nothing', async () => {
    const plain = await contextFor(ADAPTER);
    expect(plain.device.features.has('timestamp-query')).toBe(false);
    const model = await RnnModel.create(plain, { cell: 'rnn', vocabularySize: 7, hiddenSize: 4 });
    try {
      await model.trainStep(batch(0)).loss();
      const refusal = await model.profileTrainStep(batch(1)).then(() => undefined, (error: unknown) => error as Error);
      expect(refusal?.message).toContain("no 'timestamp-query' feature");
      expect(refusal?.message).toContain('timestampQueries: true');
      expect(model.stepCount).toBe(1);
      expect(() => new DispatchProfiler(context.device, 'odd', 3)).toThrow('even integer from 2 to 4096');
      expect(() => new DispatchProfiler(context.device, 'too many', 4098)).toThrow('even integer from 2 to 4096');
      await expect(createGpuContext({ adapter: ADAPTER, timestampQueries: 'yes' as never })).rejects.toThrow(InvalidArgumentError);
    } finally {
      model.dispose();
    }
  });
});
