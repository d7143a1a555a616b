/**
 * Names that are built-in properties of every JavaScript object ('constructor',
 * 'toString', '__proto__', 'hasOwnProperty') are names like any other wherever
 * names come from users or files: unknown parameter or tensor names are refused,
 * never looked up on Object.prototype or silently dropped.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, InvalidArgumentError, RnnModel, type RnnModelConfig, SafetensorsError, type SequenceBatch } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];
const BUILT_IN_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

/** { [name]: value } as an own property, also for '__proto__'. */
function own<T>(name: string, value: T): Record<string, T> {
  const record: Record<string, T> = {};
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  return record;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe(`built-in property names (on ${adapter})`, () => {
  it('writeParameters refuses them as unknown parameters and writes nothing', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    try {
      const before = await model.readParameters();
      for (const name of BUILT_IN_NAMES) {
        const error = thrown(() => model.writeParameters({ bias: [1, 1, 1], ...own(name, [1, 2]) }));
        expect(error, name).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(`parameters.${name}`);
        expect((error as Error).message).toContain('unknown parameter; expected one of weight_ih_l0');
      }
      expect(await model.readParameters()).toEqual(before);
    } finally {
      model.dispose();
    }
  });

  it('config, optimizer and batch keys with those names are refused as unknown options', async () => {
    const context = await contextFor(adapter);
    for (const name of BUILT_IN_NAMES) {
      const config = { vocabularySize: 3, hiddenSize: 2, ...own(name, 1) } as RnnModelConfig;
      await expect(RnnModel.create(context, config)).rejects.toThrow(`config.${name}: unknown option`);
      const optimizer = { type: 'adam', learningRate: 0.1, ...own(name, 1) };
      await expect(RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2, optimizer } as RnnModelConfig)).rejects.toThrow(`config.optimizer.${name}: unknown option`);
    }
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    try {
      const batch: SequenceBatch = { timeSteps: 1, batchSize: 1, inputTokens: [0], targets: [1] };
      for (const name of BUILT_IN_NAMES) expect(thrown(() => model.trainStep({ ...batch, ...own(name, 1) }))).toBeInstanceOf(InvalidArgumentError);
      expect(model.stepCount).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('files with tensors of those names are refused, by fromWeights, loadWeights and fromCheckpoint', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    try {
      const weights = await model.saveWeights();
      const checkpoint = await model.saveCheckpoint();
      const before = await model.readParameters();
      for (const name of BUILT_IN_NAMES) {
        for (const [bytes, tensorName] of [
          [weights, name],
          [checkpoint, name],
          [checkpoint, `optimizer.${name}`],
          [checkpoint, `optimizer.first.${name}`],
        ] as const) {
          const file = decodeSafetensors(bytes);
          const extended = encodeSafetensors({ metadata: file.metadata, tensors: { ...file.tensors, ...own(tensorName, { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }) } });
          expect(Object.keys(decodeSafetensors(extended).tensors)).toContain(tensorName);
          const load = bytes === weights ? RnnModel.fromWeights(context, extended) : RnnModel.fromCheckpoint(context, extended);
          const error = await load.then(() => undefined, (e: unknown) => e);
          expect(error, tensorName).toBeInstanceOf(SafetensorsError);
          expect((error as Error).message).toContain(`unexpected tensor '${tensorName}'`);
          if (bytes === weights) expect(thrown(() => model.loadWeights(extended))).toBeInstanceOf(SafetensorsError);
        }
      }
      expect(await model.readParameters()).toEqual(before);
    } finally {
      model.dispose();
    }
  });
});
