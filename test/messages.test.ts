/**
 * Error messages describe the value given with its type, so that a valid-looking
 * value is never reported: the string "1" is not the number 1, null is not an
 * object, a Map or a Promise is named as such; a misshapen tensor is named with
 * its shape.
 */
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, InvalidArgumentError, RnnModel, type RnnModelConfig, SafetensorsError } from '../src/index.ts';
import { describeValue } from '../src/validation.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];

function message(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe(`messages that describe the value (on ${adapter})`, () => {
  it('describeValue shows the type of every kind of value', () => {
    expect(describeValue(1)).toBe('1');
    expect(describeValue('1')).toBe('"1"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({})).toBe('an empty object');
    expect(describeValue({ a: 1, b: 2 })).toBe('an object with keys a, b');
    expect(describeValue(new Map([[1, 2]]))).toBe('a Map of 1 entry');
    expect(describeValue(Promise.resolve(1))).toBe('a Promise');
    expect(describeValue(new Float32Array(3))).toBe('a Float32Array of length 3');
    expect(describeValue(new Int8Array(3))).toBe('an Int8Array of length 3');
    expect(describeValue([1, 2])).toBe('an array of length 2');
    expect(describeValue(10n)).toBe('the bigint 10n');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(new Date(0))).toBe('a Date');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(new DataView(new ArrayBuffer(8)))).toBe('a DataView of 8 bytes');
  });

  it('batch elements, configs and options name the type of what was given', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 5, hiddenSize: 2 });
    try {
      const batch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };
      expect(message(() => model.trainStep({ ...batch, inputTokens: [0, '1'] as never }))).toContain('batch.inputTokens: element 1 is "1", expected an integer in [0, 5)');
      expect(message(() => model.trainStep({ ...batch, targets: [1, null] as never }))).toContain('batch.targets: element 1 is null');
      expect(message(() => model.trainStep({ ...batch, initialHidden: [0, '0'] as never }))).toContain('element 1 is "0"');
      expect(message(() => model.trainStep({ ...batch, lengths: [true] as never }))).toContain('element 0 is true');
      expect(message(() => model.writeParameters({ bias: [0, 0, 0, 0, '0'] as never }))).toContain('element 4 is "0"');
      expect(message(() => model.writeParameters({ bias: [0, 0, 1n, 0, 0] as never }))).toContain('element 2 is the bigint 1n');
      expect(message(() => model.trainStep([batch] as never))).toContain('batch: got an array of length 1');
      expect(message(() => model.trainStep(new Map() as never))).toContain('batch: got a Map of 0 entries');
    } finally {
      model.dispose();
    }
    const refusal = async (config: unknown) => {
      const error = await RnnModel.create(context, config as RnnModelConfig).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return (error as Error).message;
    };
    expect(await refusal({ vocabularySize: 5, hiddenSize: 2, optimizer: null })).toContain('config.optimizer: got null');
    expect(await refusal({ vocabularySize: 5, hiddenSize: 2, schedule: 'cosine' })).toContain('config.schedule: got "cosine"');
    expect(await refusal({ vocabularySize: 5, hiddenSize: 2, seed: '3' })).toContain('config.seed: got "3"');
    expect(await refusal({ vocabularySize: '5', hiddenSize: 2 })).toContain('config.vocabularySize: got "5"');
    expect(await refusal(new Map())).toContain('config: got a Map');
    expect(await refusal(null)).toContain('config: got null');
    expect(await refusal({ vocabularySize: 5, hiddenSize: 2, optimizer: { type: 'sgd', learningRate: 1, nesterov: 'yes' } })).toContain('nesterov: got "yes"');
  });

  it("a plain state_dict with a misshapen tensor names the tensor and its shape", async () => {
    const context = await contextFor(adapter);
    const f32 = (...shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const stateDict = { weight_ih_l0: f32(4, 5), weight_hh_l0: f32(4, 4), bias_ih_l0: f32(4), bias_hh_l0: f32(4), weight: f32(5, 4), bias: f32(5) };
    const loads = async (tensors: Record<string, ReturnType<typeof f32>>) => RnnModel.fromWeights(context, encodeSafetensors({ tensors, metadata: {} }));
    (await loads(stateDict)).dispose();
    for (const [name, tensor, shown] of [
      ['weight_ih_l0', f32(20), '[20]'],
      ['weight_hh_l0', f32(4, 4, 1), '[4, 4, 1]'],
      ['weight', f32(5), '[5]'],
    ] as const) {
      const error = await loads({ ...stateDict, [name]: tensor }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toContain(`tensor '${name}' has shape ${shown}, expected a matrix`);
    }
  });
});
