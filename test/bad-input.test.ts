/**
 * Bad input gets a clear error naming the argument, what was given and what was
 * expected, before any GPU work; nothing the model holds is changed, and the
 * device stays usable.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type RnnModelConfig, type SequenceBatch } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];
const config: RnnModelConfig = { vocabularySize: 5, hiddenSize: 4 };
const valid: SequenceBatch = { timeSteps: 2, batchSize: 3, inputTokens: [0, 1, 2, 3, 4, 0], targets: [1, 2, 3, 4, 0, 1] };

function expectInvalid(action: () => unknown, argument: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError for ${argument}`).toBeInstanceOf(InvalidArgumentError);
  const error = caught as InvalidArgumentError;
  expect(error.argument).toBe(argument);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

async function expectInvalidConfig(bad: unknown, argument: string, ...fragments: string[]): Promise<void> {
  const context = await contextFor(adapter);
  const error = await RnnModel.create(context, bad as RnnModelConfig).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected config ${JSON.stringify(bad)} to be rejected`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe(`bad input (on ${adapter})`, () => {
  it('rejects zero, negative, fractional and non-numeric sizes', async () => {
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 0 }, 'config.hiddenSize', 'got 0', 'positive integer');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: -3 }, 'config.hiddenSize', 'got -3');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 2.5 }, 'config.hiddenSize', 'got 2.5');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: Number.NaN }, 'config.hiddenSize', 'got NaN');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: '8' }, 'config.hiddenSize', 'got "8"');
    await expectInvalidConfig({ vocabularySize: 0, hiddenSize: 4 }, 'config.vocabularySize', 'got 0');
  });

  it('rejects inconsistent and unknown configuration', async () => {
    await expectInvalidConfig({ hiddenSize: 4 }, 'config', 'neither of vocabularySize and inputSize');
    await expectInvalidConfig({ vocabularySize: 5, inputSize: 3, hiddenSize: 4 }, 'config', 'both');
    await expectInvalidConfig({ inputSize: 3, hiddenSize: 4 }, 'config.outputSize', 'missing');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSzie: 4 }, 'config.hiddenSzie', 'unknown option');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 4, cell: 'transformer' }, 'config.cell', '"transformer"', "'rnn'");
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 4, optimizer: { type: 'lbfgs', learningRate: 1 } }, 'config.optimizer.type', '"lbfgs"');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 4, optimizer: { type: 'adam', learningRate: -1 } }, 'config.optimizer.learningRate', 'got -1');
    await expectInvalidConfig({ vocabularySize: 5, hiddenSize: 4, optimizer: { type: 'adam', learningRate: 1, beta1: 1 } }, 'config.optimizer.beta1', 'got 1', '[0, 1)');
  });

  it('rejects malformed batches before any GPU work, and the model still trains afterwards', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, config);
    try {
      const before = await model.readParameters();
      expectInvalid(() => model.trainStep({ ...valid, timeSteps: 0 }), 'batch.timeSteps', 'got 0');
      expectInvalid(() => model.trainStep({ ...valid, batchSize: -1 }), 'batch.batchSize', 'got -1');
      expectInvalid(() => model.trainStep({ ...valid, inputTokens: [0, 1, 2] }), 'batch.inputTokens', 'got length 3', 'expected 6', 'timeSteps × batchSize = 2 × 3');
      expectInvalid(() => model.trainStep({ ...valid, inputTokens: [0, 1, 2, 3, 5, 0] }), 'batch.inputTokens', 'element 4 is 5', '[0, 5)');
      expectInvalid(() => model.trainStep({ ...valid, inputTokens: [0, 1, 2, 3, -1, 0] }), 'batch.inputTokens', 'element 4 is -1');
      expectInvalid(() => model.trainStep({ ...valid, inputTokens: [0, 1, 2, 3, 1.5, 0] }), 'batch.inputTokens', 'element 4 is 1.5');
      expectInvalid(() => model.trainStep({ ...valid, targets: [1, 2, 3, 4, 0, 9] }), 'batch.targets', 'element 5 is 9', 'outputSize');
      expectInvalid(() => model.trainStep({ ...valid, targets: undefined }), 'batch.targets', 'missing');
      expectInvalid(() => model.trainStep({ ...valid, inputs: new Float32Array(6) }), 'batch.inputs', 'token-input model');
      expectInvalid(() => model.trainStep({ ...valid, initialHidden: new Float32Array(5) }), 'batch.initialHidden', 'got length 5', 'expected 12');
      expectInvalid(() => model.trainStep({ ...valid, initialHidden: new Float32Array(12).fill(Number.NaN) }), 'batch.initialHidden', 'element 0 is NaN', 'finite');
      expectInvalid(() => model.trainStep({ ...valid, initialHidden: 'carry' }), 'batch.initialHidden', 'no earlier run');
      expectInvalid(() => model.trainStep({ ...valid, extra: 1 } as SequenceBatch), 'batch.extra', 'unknown option');
      // Nothing ran: no step counted, parameters unchanged.
      expect(model.stepCount).toBe(0);
      expect(await model.readParameters()).toEqual(before);

      const loss = await model.trainStep(valid).loss();
      expect(Number.isFinite(loss)).toBe(true);
      expect(model.stepCount).toBe(1);
      context.throwIfFaulted();
    } finally {
      model.dispose();
    }
  });

  it('rejects NaN and misshapen dense inputs', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { inputSize: 2, hiddenSize: 3, outputSize: 4 });
    try {
      const inputs = new Float32Array(2 * 1 * 2);
      const batch: SequenceBatch = { timeSteps: 2, batchSize: 1, inputs, targets: [0, 3] };
      expectInvalid(() => model.trainStep({ ...batch, inputs: [0, 1, Number.NaN, 2] }), 'batch.inputs', 'element 2 is NaN');
      expectInvalid(() => model.trainStep({ ...batch, inputs: [0, 1, Number.POSITIVE_INFINITY, 2] }), 'batch.inputs', 'element 2 is Infinity');
      expectInvalid(() => model.trainStep({ ...batch, inputs: new Float32Array(3) }), 'batch.inputs', 'got length 3', 'expected 4');
      expectInvalid(() => model.trainStep({ ...batch, inputTokens: [0, 1] }), 'batch.inputTokens', 'dense-input model');
      expectInvalid(() => model.trainStep({ ...batch, targets: [0, 4] }), 'batch.targets', 'element 1 is 4', '[0, 4)');
      expect(Number.isFinite(await model.trainStep(batch).loss())).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('rejects bad parameter writes as a whole, leaving every parameter as it was', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, config);
    try {
      const before = await model.readParameters();
      const good = new Float32Array(4 * 5).fill(0.5);
      expectInvalid(() => model.writeParameters({ weight_ih_l0: good, weight_xx: [1] }), 'parameters.weight_xx', 'unknown parameter', 'weight_hh_l0');
      expectInvalid(() => model.writeParameters({ weight_ih_l0: good, bias: [1, 2] }), 'parameters.bias', 'got length 2', 'expected 5', 'shape [5]');
      expectInvalid(() => model.writeParameters({ weight_ih_l0: good, bias_ih_l0: [0, 0, Number.NaN, 0] }), 'parameters.bias_ih_l0', 'element 2 is NaN');
      expect(await model.readParameters()).toEqual(before);
      expectInvalid(() => model.setLearningRate(0), 'learningRate', 'got 0');
    } finally {
      model.dispose();
    }
  });

  it('refuses to run a disposed model', async () => {
    const model = await RnnModel.create(await contextFor(adapter), config);
    model.dispose();
    expect(() => model.trainStep(valid)).toThrow(/disposed/);
    await expect(model.readParameters()).rejects.toThrow(/disposed/);
  });
});
