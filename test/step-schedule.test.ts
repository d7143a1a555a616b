/**
 * How a training step reaches the GPU: one submission, no readback unless a loss
 * is asked for, nothing created after the first step of a shape, and the work that
 * does not depend on the recurrence lifted out of the time loops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RnnModel } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const restore: (() => void)[] = [];
afterEach(() => {
  while (restore.length) restore.pop()!();
});

/** Counts calls of `name` on `target` until the test ends. */
function countCalls<T extends object>(target: T, name: keyof T & string): { count: number } {
  const counter = { count: 0 };
  const original = target[name] as (...args: unknown[]) => unknown;
  (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return original.apply(this, args);
  };
  restore.push(() => {
    (target as Record<string, unknown>)[name] = original;
  });
  return counter;
}

describe.each(TEST_ADAPTERS)('training step schedule on %s', (adapter) => {
  it('one step is one submission, with no readback and no new GPU objects after the first step', async () => {
    const context = await contextFor(adapter);
    const device = context.device;
    const model = await RnnModel.create(context, { vocabularySize: 7, hiddenSize: 9 });
    try {
      const batch = { timeSteps: 5, batchSize: 3, inputTokens: new Uint32Array(15).fill(2), targets: new Uint32Array(15).fill(4) };
      await model.trainStep(batch).loss(); // first step of this shape builds its plan
      const submissions = countCalls(device.queue, 'submit');
      const buffers = countCalls(device, 'createBuffer');
      const bindGroups = countCalls(device, 'createBindGroup');
      const pipelines = countCalls(device, 'createComputePipeline');
      const maps = countCalls(GPUBuffer.prototype, 'mapAsync');
      const steps = Array.from({ length: 10 }, () => model.trainStep(batch));
      expect(submissions.count).toBe(10);
      expect(maps.count).toBe(0);
      expect(buffers.count).toBe(0);
      expect(bindGroups.count).toBe(0);
      expect(pipelines.count).toBe(0);
      // Reading a loss is one copy and one map.
      expect(Number.isFinite(await steps[9].loss())).toBe(true);
      expect(maps.count).toBe(1);
    } finally {
      model.dispose();
    }
  });

  it('forward-only runs (predict, evaluate) allocate no gradient buffers and leave the gradients alone', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'lstm', layers: 2, vocabularySize: 7, hiddenSize: 9 });
    try {
      const labels: string[] = [];
      const original = context.device.createBuffer;
      context.device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
        labels.push(descriptor.label ?? '');
        return original.call(this, descriptor);
      };
      restore.push(() => {
        context.device.createBuffer = original;
      });
      const batch = { timeSteps: 6, batchSize: 2, inputTokens: new Uint32Array(12).fill(1), targets: new Uint32Array(12).fill(3) };
      await model.predict({ ...batch, targets: undefined });
      await model.evaluate(batch).loss();
      expect(labels.some((label) => label.includes('hidden states'))).toBe(true); // the evaluation plan was built
      expect(labels.filter((label) => /gradient/.test(label))).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  it('records one dispatch per time step in each direction plus a fixed number for the batched work', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { vocabularySize: 7, hiddenSize: 9 });
    try {
      for (const timeSteps of [1, 4, 17]) {
        const dispatches = model.dispatchesPerStep(timeSteps, 2);
        // forward: input projection + T steps + head; loss: cross-entropy + mean;
        // backward: head weight, head bias, dL/dh, T steps, dL/dh_{−1}, W_hh, W_ih and the biases (on these CPU
        // adapters the rows grouped by token, then the scatter that also sums the biases); update: the gradient
        // norm in two passes (with the non-finite guard), the optimizer.
        expect(dispatches).toEqual({ forward: timeSteps + 2, loss: 2, backward: timeSteps + 7, update: 3, total: 2 * timeSteps + 14 });
      }
    } finally {
      model.dispose();
    }
  });
});
