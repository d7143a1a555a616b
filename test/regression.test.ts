/**
 * Regression sequences: loss 'mse' (torch.nn.MSELoss, mean over every output of
 * the positions that count) on the GPU against the reference, with lengths; and
 * a model that learns a smooth sequence.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel } from '../src/index.ts';
import { type ReferenceParameters, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const toFloat64 = (parameters: Record<string, Float32Array>): ReferenceParameters =>
  Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));

describe.each(TEST_ADAPTERS)('mean squared error on %s', (adapter) => {
  it('GRU, dense inputs, lengths: loss and every gradient match the reference', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', inputSize: 2, hiddenSize: 5, outputSize: 3, loss: 'mse', seed: 3 });
    try {
      const random = seededRandom(4);
      const values = (count: number) => Array.from({ length: count }, () => random() * 2 - 1);
      const batch = { timeSteps: 5, batchSize: 3, inputs: values(30), targetValues: values(45), lengths: [5, 3, 1] };
      const loss = await model.computeGradients(batch).loss();
      const want = rnnLossAndGradients(toFloat64(await model.readParameters()), { cell: 'gru', inputSize: 2, hiddenSize: 5, outputSize: 3 }, batch);
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name}`, gradients[name], want.gradients[name], { relative: 1e-4, absolute: 2e-6 });
    } finally {
      model.dispose();
    }
  });

  it('an LSTM learns to continue a sine wave', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'lstm', inputSize: 1, hiddenSize: 16, outputSize: 1, loss: 'mse', seed: 1, optimizer: { type: 'adam', learningRate: 0.02 } });
    try {
      const T = 20;
      const B = 4;
      const wave = (t: number, b: number) => Math.sin(0.3 * t + b);
      const inputs = Array.from({ length: T * B }, (_, i) => wave(Math.floor(i / B), i % B));
      const targetValues = Array.from({ length: T * B }, (_, i) => wave(Math.floor(i / B) + 1, i % B));
      const steps = Array.from({ length: 120 }, () => model.trainStep({ timeSteps: T, batchSize: B, inputs, targetValues }));
      const first = await steps[0].loss();
      const last = await steps[119].loss();
      expect(last).toBeLessThan(first * 0.05);
    } finally {
      model.dispose();
    }
  });

  it('asks for the right kind of targets', async () => {
    const context = await contextFor(adapter);
    const mse = await RnnModel.create(context, { inputSize: 2, hiddenSize: 3, outputSize: 2, loss: 'mse' });
    const classifier = await RnnModel.create(context, { inputSize: 2, hiddenSize: 3, outputSize: 2 });
    try {
      const batch = { timeSteps: 1, batchSize: 1, inputs: [0, 1] };
      expect(() => mse.trainStep({ ...batch, targets: [1] })).toThrow(InvalidArgumentError);
      expect(() => mse.trainStep(batch)).toThrow(/batch\.targetValues: missing/);
      expect(() => mse.trainStep({ ...batch, targetValues: [0, Number.NaN] })).toThrow(/element 1 is NaN/);
      expect(() => classifier.trainStep({ ...batch, targetValues: [0, 1] })).toThrow(/batch\.targetValues: given to a model with loss 'cross-entropy'/);
    } finally {
      mse.dispose();
      classifier.dispose();
    }
  });
});
