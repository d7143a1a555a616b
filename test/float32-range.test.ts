/**
 * Numbers valid in JavaScript but not in float32 are refused before they reach
 * the GPU: every learning rate, optimizer constant, parameter, state, input and
 * target, and the sampling temperature. Each message states the allowed range;
 * a refused call changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { createGpuContext, decodeSafetensors, encodeSafetensors, InvalidArgumentError, RnnModel, type RnnModelConfig, SafetensorsError, sampleFromLogits, type SequenceBatch } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];
const tokens: SequenceBatch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };

function refusal(action: () => unknown): InvalidArgumentError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  return caught as InvalidArgumentError;
}

async function configRefusal(config: RnnModelConfig): Promise<InvalidArgumentError> {
  const context = await contextFor(adapter);
  const error = await RnnModel.create(context, config).then(
    (model) => {
      model.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error, JSON.stringify(config)).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

describe(`the float32 range (on ${adapter})`, () => {
  it('refuses optimizer, schedule, dropout and clipping values outside float32, naming the range', async () => {
    const base = { vocabularySize: 3, hiddenSize: 2 };
    const cases: [RnnModelConfig, string, string][] = [
      [{ ...base, optimizer: { type: 'adam', learningRate: 1e39 } }, 'config.optimizer.learningRate', 'got 1e+39, expected a number in [1.1754944e-38, 3.4028235e38]'],
      [{ ...base, optimizer: { type: 'sgd', learningRate: 1e-50 } }, 'config.optimizer.learningRate', 'got 1e-50'],
      [{ ...base, optimizer: { type: 'adam', learningRate: 0.1, epsilon: 1e-50 } }, 'config.optimizer.epsilon', 'positive normal float32'],
      [{ ...base, optimizer: { type: 'adam', learningRate: 0.1, epsilon: 1e-45 } }, 'config.optimizer.epsilon', 'got 1e-45'],
      [{ ...base, optimizer: { type: 'adam', learningRate: 0.1, beta2: 0.99999999999 } }, 'config.optimizer.beta2', '(1 as float32)', '[0, 1)'],
      [{ ...base, optimizer: { type: 'adamw', learningRate: 0.1, weightDecay: 1e39 } }, 'config.optimizer.weightDecay', 'got 1e+39'],
      [{ ...base, optimizer: { type: 'sgd', learningRate: 0.1, momentum: 1e39 } }, 'config.optimizer.momentum', 'got 1e+39'],
      [{ ...base, optimizer: { type: 'rmsprop', learningRate: 0.1, alpha: 0.999999999999 } }, 'config.optimizer.alpha', 'as float32'],
      [{ ...base, schedule: { type: 'step', stepSize: 1, gamma: 1e39 } }, 'config.schedule.gamma', 'got 1e+39'],
      [{ ...base, schedule: { type: 'cosine', warmupSteps: 0, totalSteps: 5, minLearningRate: 1e39 } }, 'config.schedule.minLearningRate', 'got 1e+39'],
      [{ ...base, layers: 2, dropout: 0.99999999999 }, 'config.dropout', '(1 as float32)'],
      [{ ...base, clipGradientNorm: 1e39 }, 'config.clipGradientNorm', 'got 1e+39'],
    ].map(([config, argument, ...fragments]) => [config as RnnModelConfig, argument as string, fragments.join('\u0000')]);
    for (const [config, argument, fragments] of cases) {
      const error = await configRefusal(config);
      expect(error.argument).toBe(argument);
      for (const fragment of fragments.split('\u0000')) expect(error.message).toContain(fragment);
    }
  });

  it('refuses parameters, states, dense inputs and MSE targets that overflow float32, changing nothing', async () => {
    const context = await contextFor(adapter);
    const lstm = await RnnModel.create(context, { cell: 'lstm', vocabularySize: 3, hiddenSize: 2 });
    const dense = await RnnModel.create(context, { inputSize: 2, hiddenSize: 2, outputSize: 2, loss: 'mse' });
    try {
      const before = await lstm.readParameters();
      const huge = new Array(before.bias.length).fill(0);
      huge[1] = 1e39;
      expect(refusal(() => lstm.writeParameters({ bias: huge })).message).toContain('element 1 is 1e+39, expected a finite number within the float32 range ±3.4028235e38');
      expect(refusal(() => lstm.trainStep({ ...tokens, initialHidden: [0, -1e39] })).argument).toBe('batch.initialHidden');
      expect(refusal(() => lstm.trainStep({ ...tokens, initialCell: [3.5e38, 0] })).argument).toBe('batch.initialCell');
      expect(refusal(() => lstm.setLearningRate(1e39)).message).toContain('learningRate: got 1e+39');
      expect(refusal(() => lstm.setLearningRate(1e-39)).argument).toBe('learningRate');
      expect(lstm.config.optimizer.learningRate).toBe(2e-3);
      expect(lstm.stepCount).toBe(0);
      expect(await lstm.readParameters()).toEqual(before);
      // The largest float32 itself is accepted.
      lstm.writeParameters({ bias: new Array(before.bias.length).fill(3.4028234663852886e38) });

      const batch: SequenceBatch = { timeSteps: 1, batchSize: 1, inputs: [1e39, 0], targetValues: [0, 1] };
      expect(refusal(() => dense.trainStep(batch)).argument).toBe('batch.inputs');
      expect(refusal(() => dense.trainStep({ ...batch, inputs: [0, 0], targetValues: [0, -1e39] })).argument).toBe('batch.targetValues');
      expect(dense.stepCount).toBe(0);
      expect(await dense.readSkippedSteps()).toBe(0);
    } finally {
      lstm.dispose();
      dense.dispose();
    }
  });

  it('refuses a sampling temperature below the stated minimum, on the GPU and the CPU', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3, seed: 3 });
    try {
      for (const temperature of [1e-40, 0, -1, Number.NaN, 1e39]) {
        const error = await model.generate({ primeTokens: [0], length: 3, temperature }).then(() => undefined, (e: unknown) => e);
        expect(error, `temperature ${temperature}`).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toContain('for greedy decoding use topK: 1');
      }
      // At the minimum the draw is the greedy path.
      const coldest = await model.generate({ primeTokens: [0], length: 6, temperature: 1e-6, seed: 9 });
      const greedy = await model.generate({ primeTokens: [0], length: 6, topK: 1 });
      expect([...coldest]).toEqual([...greedy]);
    } finally {
      model.dispose();
    }
    for (const temperature of [0, -1, Number.NaN, 1e-40, Number.POSITIVE_INFINITY]) {
      expect(refusal(() => sampleFromLogits([0, 1, 2], temperature, () => 0.5)).argument).toBe('temperature');
    }
    expect(sampleFromLogits([0, 5, 2], 1e-6, () => 0.999)).toBe(1);
  });

  it("refuses a step whose scheduled learning rate overflows float32, before running it", async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2, optimizer: { type: 'sgd', learningRate: 1 }, schedule: { type: 'step', stepSize: 1, gamma: 1e30 } });
    try {
      await model.trainStep(tokens).loss();
      await model.trainStep(tokens).loss();
      const parameters = await model.readParameters();
      const error = refusal(() => model.trainStep(tokens));
      expect(error.argument).toBe('config.schedule');
      expect(error.message).toMatch(/step 3 a learning rate of 1(\.0*1)?e\+60, above the float32 maximum/);
      expect(model.stepCount).toBe(2);
      expect(await model.readParameters()).toEqual(parameters);
    } finally {
      model.dispose();
    }
  });

  it('refuses files whose parameters or optimizer state are beyond float32, not finite, or a negative second moment', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    const weights = decodeSafetensors(await model.saveWeights());
    const checkpoint = decodeSafetensors(await model.saveCheckpoint());
    model.dispose();
    const loadError = (file: typeof weights, asCheckpoint: boolean) => {
      const bytes = encodeSafetensors(file);
      return (asCheckpoint ? RnnModel.fromCheckpoint(context, bytes) : RnnModel.fromWeights(context, bytes)).then(
        (loaded) => {
          loaded.dispose();
          return undefined;
        },
        (e: unknown) => e as Error,
      );
    };
    const f64 = Float64Array.from(weights.tensors['head.bias'].data);
    f64[1] = 1e39;
    const beyond = await loadError({ ...weights, tensors: { ...weights.tensors, 'head.bias': { dtype: 'F64', shape: [3], data: f64 } } }, false);
    expect(beyond).toBeInstanceOf(SafetensorsError);
    expect(beyond!.message).toContain("tensor 'head.bias' element 1 is Infinity as float32");
    const poisoned = (name: string, value: number) => {
      const data = Float32Array.from(checkpoint.tensors[name].data);
      data[0] = value;
      return { ...checkpoint, tensors: { ...checkpoint.tensors, [name]: { ...checkpoint.tensors[name], data } } };
    };
    const nan = await loadError(poisoned('optimizer.first.head.weight', Number.NaN), true);
    expect(nan).toBeInstanceOf(SafetensorsError);
    expect(nan!.message).toContain("tensor 'optimizer.first.head.weight' element 0 is NaN");
    const negative = await loadError(poisoned('optimizer.second.head.bias', -1), true);
    expect(negative).toBeInstanceOf(SafetensorsError);
    expect(negative!.message).toContain("'optimizer.second.head.bias' element 0 is -1, expected ≥ 0");
    expect(await loadError(checkpoint, true)).toBeUndefined();
  });

  it('createGpuContext refuses unknown options, naming the nearest', async () => {
    await expect(createGpuContext({ adaptor: adapter } as never)).rejects.toThrow("options.adaptor: unknown option; did you mean 'adapter'?");
  });
});
