/**
 * Optimizers step for step as torch.optim computes them: the float64 reference
 * and the GPU updates against trajectories PyTorch wrote
 * (test/fixtures/make_optimizer_fixtures.py), for SGD with momentum, Nesterov and
 * weight decay, Adam with L2, AdamW and RMSprop; and the learning-rate schedules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats, writeElements } from '../src/device/buffers.ts';
import { decodeSafetensors } from '../src/io/safetensors.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { optimizerUniforms } from '../src/kernels/kernel-set.ts';
import { type OptimizerConfig, optimizerState, optimizerStepValues, resolveOptimizer, resolveSchedule, scheduledLearningRate } from '../src/model/optimizer.ts';
import { ReferenceOptimizer, type ReferenceOptimizerOptions } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const file = decodeSafetensors(new Uint8Array(readFileSync(new URL('./fixtures/optimizers.safetensors', import.meta.url))));
const settings = JSON.parse(file.metadata.settings) as Record<string, Record<string, unknown>>;
const initial = file.tensors.initial.data as Float64Array;
const gradients = file.tensors.gradients.data as Float64Array;
const N = initial.length;
const STEPS = gradients.length / N;

/** torch.optim's keyword arguments in our terms. */
function configOf(torchSetting: Record<string, unknown>): OptimizerConfig {
  const { optimizer, lr, momentum, nesterov, weight_decay, betas, eps, alpha } = torchSetting as Record<string, never>;
  const common = { learningRate: lr as number, ...(weight_decay !== undefined ? { weightDecay: weight_decay as number } : {}) };
  switch (optimizer as string) {
    case 'SGD':
      return { type: 'sgd', ...common, ...(momentum !== undefined ? { momentum } : {}), ...(nesterov !== undefined ? { nesterov } : {}) };
    case 'Adam':
    case 'AdamW': {
      const [beta1, beta2] = (betas as [number, number] | undefined) ?? [0.9, 0.999];
      return { type: optimizer === 'Adam' ? 'adam' : 'adamw', ...common, beta1, beta2, ...(eps !== undefined ? { epsilon: eps } : {}) };
    }
    case 'RMSprop':
      return { type: 'rmsprop', ...common, ...(alpha !== undefined ? { alpha } : {}), ...(momentum !== undefined ? { momentum } : {}) };
  }
  throw new Error(`unknown optimizer ${optimizer}`);
}

const stepGradient = (step: number) => gradients.subarray(step * N, (step + 1) * N);
const expected = (name: string, step: number) => (file.tensors[name].data as Float64Array).subarray(step * N, (step + 1) * N);

describe('optimizers: the float64 reference against torch.optim', () => {
  for (const [name, setting] of Object.entries(settings)) {
    it(`${name}: ${STEPS} steps`, () => {
      const optimizer = new ReferenceOptimizer(configOf(setting) as ReferenceOptimizerOptions);
      const params = { p: Float64Array.from(initial) };
      for (let step = 0; step < STEPS; step++) {
        optimizer.step(params, { p: Float64Array.from(stepGradient(step)) });
        expectClose(`${name} step ${step + 1}`, params.p, expected(name, step), { relative: 1e-12, absolute: 1e-14 });
      }
    });
  }
});

describe.each(TEST_ADAPTERS)('optimizers on %s against torch.optim', (adapter) => {
  for (const [name, setting] of Object.entries(settings)) {
    it(`${name}: ${STEPS} steps of the GPU update, uniforms rewritten between steps`, async () => {
      const { device } = await contextFor(adapter);
      const kernels = await kernelsFor(adapter);
      const optimizer = resolveOptimizer(configOf(setting));
      const state = optimizerState(optimizer);
      const parameters = createStorageBufferWith(device, 'parameters', Float32Array.from(initial));
      const gradientBuffer = createStorageBufferWith(device, 'gradients', new Float32Array(N));
      const firstState = state.first ? createStorageBufferWith(device, 'first state', new Float32Array(N)) : undefined;
      const secondState = state.second ? createStorageBufferWith(device, 'second state', new Float32Array(N)) : undefined;
      const kernel = optimizer.type === 'adamw' ? 'adam' : optimizer.type;
      const plan = new DispatchPlan(device, name);
      const handle = kernels.optimizerUpdate(plan, kernel, { gradients: gradientBuffer, parameters, firstState, secondState }, optimizerStepValues(optimizer, 1, optimizer.learningRate, N), name);
      plan.build();
      for (let step = 1; step <= STEPS; step++) {
        writeElements(device, gradientBuffer, 0, Float32Array.from(stepGradient(step - 1)));
        plan.updateUniforms(handle, optimizerUniforms(kernel, optimizerStepValues(optimizer, step, optimizer.learningRate, N)));
        plan.submit();
        const got = await readFloats(device, parameters, 0, N);
        // float32 parameters and states against float64: each step adds a few float32 roundings.
        expectClose(`${name} step ${step}`, got, expected(name, step - 1), { relative: 2e-6, absolute: 2e-7 });
      }
      plan.destroy();
      for (const buffer of [parameters, gradientBuffer, firstState, secondState]) buffer?.destroy();
    });
  }
});

describe.each(TEST_ADAPTERS)('the Adam update on %s', (adapter) => {
  it('updates four parameters per invocation and leaves the words past the count as they are', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const optimizer = resolveOptimizer({ type: 'adamw', learningRate: 0.1, weightDecay: 0.5 });
    const count = 10; // the last four words hold 2 parameters and 2 other words
    const words = (values: number[]) => createStorageBufferWith(device, 'words', Float32Array.from(values));
    const initialParameters = Array.from({ length: 12 }, (_, i) => (i < count ? 0.1 * (i + 1) : 7 + i));
    const parameters = words(initialParameters);
    const gradients = words(Array.from({ length: 12 }, (_, i) => (i < count ? 0.05 * (i - 4) : 9)));
    const firstState = words(Array.from({ length: 12 }, (_, i) => (i < count ? 0 : 3)));
    const secondState = words(Array.from({ length: 12 }, (_, i) => (i < count ? 0 : 4)));
    const plan = new DispatchPlan(device, 'adam tail');
    kernels.optimizerUpdate(plan, 'adam', { gradients, parameters, firstState, secondState }, optimizerStepValues(optimizer, 1, optimizer.learningRate, count), 'adam tail');
    plan.submit();
    const got = await readFloats(device, parameters, 0, 12);
    const reference = new ReferenceOptimizer({ type: 'adamw', learningRate: 0.1, weightDecay: 0.5 });
    const want = { p: Float64Array.from(initialParameters.slice(0, count)) };
    reference.step(want, { p: Float64Array.from({ length: count }, (_, i) => 0.05 * (i - 4)) });
    expectClose('adam over 10 parameters', got.subarray(0, count), want.p, { relative: 2e-6, absolute: 2e-7 });
    expect(Array.from(got.subarray(count))).toEqual([17, 18]);
    expect(Array.from(await readFloats(device, firstState, count, 2))).toEqual([3, 3]);
    expect(Array.from(await readFloats(device, secondState, count, 2))).toEqual([4, 4]);
    plan.destroy();
    for (const buffer of [parameters, gradients, firstState, secondState]) buffer.destroy();
  });
});

describe('learning-rate schedules', () => {
  it('step: lr · γ^⌊(t−1)/stepSize⌋, as StepLR stepped after every optimizer step', () => {
    const schedule = resolveSchedule({ type: 'step', stepSize: 3, gamma: 0.5 });
    expect([1, 2, 3, 4, 6, 7].map((t) => scheduledLearningRate(schedule, 0.1, t))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('cosine with warm-up: linear to lr, then half a cosine down to the minimum, then flat', () => {
    const schedule = resolveSchedule({ type: 'cosine', warmupSteps: 4, totalSteps: 14, minLearningRate: 0.01 });
    const at = (t: number) => scheduledLearningRate(schedule, 0.1, t);
    expect(at(1)).toBeCloseTo(0.025, 12);
    expect(at(4)).toBeCloseTo(0.1, 12);
    expect(at(9)).toBeCloseTo(0.01 + 0.09 * 0.5, 12);
    expect(at(14)).toBeCloseTo(0.01, 12);
    expect(at(100)).toBeCloseTo(0.01, 12);
    for (let t = 5; t < 14; t++) expect(at(t + 1)).toBeLessThan(at(t));
  });

  it('rejects malformed schedules and optimizer options, naming the field', () => {
    expect(() => resolveSchedule({ type: 'cosine', warmupSteps: 10, totalSteps: 5 })).toThrow('config.schedule.totalSteps: got 5, expected more than warmupSteps (10)');
    expect(() => resolveSchedule({ type: 'step', stepSize: 0, gamma: 0.5 })).toThrow('config.schedule.stepSize');
    expect(() => resolveSchedule({ type: 'linear' })).toThrow("config.schedule.type: got \"linear\", expected one of 'constant', 'step', 'cosine'");
    expect(() => resolveOptimizer({ type: 'sgd', learningRate: 0.1, nesterov: true })).toThrow('Nesterov momentum needs momentum > 0');
    expect(() => resolveOptimizer({ type: 'rmsprop', learningRate: 0.1, beta1: 0.9 })).toThrow('config.optimizer.beta1: unknown option');
    expect(() => resolveOptimizer({ type: 'adamw', learningRate: 0.1, weightDecay: -1 })).toThrow('config.optimizer.weightDecay: got -1');
  });
});
