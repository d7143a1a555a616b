/**
 * Property-based, by class of bad input (issue classes of "Reliability II"): numbers
 * outside float32, sizes above the bounds, built-in property names, option objects
 * with unknown keys or of the wrong kind, values whose type differs from what they
 * look like, refused calls that must allocate nothing, and batches refused before
 * the first step of an epoch. Each is refused with a typed error naming the
 * argument, nothing changes, and the device stays fine. The seed changes every run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type RnnModelConfig, type SequenceBatch } from '../src/index.ts';
import { SIZE_LIMITS } from '../src/model/size-limits.ts';
import { FLOAT32_MAX, FLOAT32_MIN_NORMAL } from '../src/validation.ts';
import { trackBuffers } from './buffer-tracker.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { announceSeed, BadInputTally, seedFor } from './property-seed.ts';

const adapter = TEST_ADAPTERS[0];
const RUNS = 100;
const tally = new BadInputTally();
announceSeed('property-classes.test.ts');
afterAll(() => console.log(tally.report('property-classes.test.ts')));

const CLASS = {
  float32: '1 numbers outside float32',
  sizes: '2 sizes above the bounds',
  names: '3 built-in property names',
  options: '4 option objects (unknown keys, wrong kinds)',
  types: '5 values of the wrong type that look valid',
  memory: '6 refused calls that must allocate nothing',
  late: '7 bad batches late in an epoch',
} as const;

const BASE: RnnModelConfig = { cell: 'lstm', vocabularySize: 5, hiddenSize: 3, seed: 2 };
const BATCH: SequenceBatch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };

/** The error a call throws (sync or async), or undefined. */
async function errorOf(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectRefused(error: unknown, argument: string, what: unknown): void {
  expect(error, `${argument} ← ${String(what)}`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument, (error as Error).message).toBe(argument);
}

// ---- generators ----

/** Finite doubles beyond ±FLOAT32_MAX (or that round to ±Infinity as float32). */
const beyondFloat32 = fc.oneof(fc.double({ min: 3.4028235677973366e38, max: Number.MAX_VALUE, noNaN: true }), fc.double({ min: -Number.MAX_VALUE, max: -3.4028235677973366e38, noNaN: true }));
/** Positive doubles below the smallest normal float32. */
const belowNormalFloat32 = fc.double({ min: Number.MIN_VALUE, max: FLOAT32_MIN_NORMAL * 0.999, noNaN: true });
/** Below 1 as doubles, 1 as float32. */
const roundsToOne = fc.double({ min: 0.99999998, max: 0.9999999999999999, noNaN: true });

const float32Config = fc.oneof(
  fc.record({ field: fc.constantFrom('learningRate', 'epsilon'), value: fc.oneof(beyondFloat32.filter((v) => v > 0), belowNormalFloat32) }).map(({ field, value }) => ({
    config: { ...BASE, optimizer: { type: 'adam', learningRate: 0.01, [field]: value } },
    argument: `config.optimizer.${field}`,
    value,
  })),
  fc.record({ field: fc.constantFrom('beta1', 'beta2'), value: roundsToOne }).map(({ field, value }) => ({ config: { ...BASE, optimizer: { type: 'adamw', learningRate: 0.01, [field]: value } }, argument: `config.optimizer.${field}`, value })),
  fc.record({ field: fc.constantFrom('momentum', 'weightDecay'), value: beyondFloat32.filter((v) => v > 0) }).map(({ field, value }) => ({ config: { ...BASE, optimizer: { type: 'sgd', learningRate: 0.01, [field]: value } }, argument: `config.optimizer.${field}`, value })),
  roundsToOne.map((value) => ({ config: { ...BASE, layers: 2, dropout: value }, argument: 'config.dropout', value })),
  fc.oneof(beyondFloat32.filter((v) => v > 0), belowNormalFloat32).map((value) => ({ config: { ...BASE, clipGradientNorm: value }, argument: 'config.clipGradientNorm', value })),
  fc.oneof(beyondFloat32.filter((v) => v > 0), belowNormalFloat32).map((value) => ({ config: { ...BASE, schedule: { type: 'step', stepSize: 2, gamma: value } }, argument: 'config.schedule.gamma', value })),
);

/** A size above its stated maximum: [argument, config]. */
const oversizedConfig = fc.oneof(
  fc.record({ field: fc.constantFrom('vocabularySize', 'hiddenSize', 'embeddingSize', 'outputSize'), value: fc.oneof(fc.integer({ min: SIZE_LIMITS.dimension + 1, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(2 ** 40, 1e300, 2 ** 53)) }).map(
    ({ field, value }) => ({ config: { ...BASE, [field]: value }, argument: `config.${field}`, value }),
  ),
  fc.oneof(fc.integer({ min: SIZE_LIMITS.layers + 1, max: Number.MAX_SAFE_INTEGER }), fc.constant(1e9)).map((value) => ({ config: { ...BASE, layers: value }, argument: 'config.layers', value })),
  // Within the stated maxima, beyond any device: W_hh is 4·H² floats.
  fc.integer({ min: 2 ** 16, max: SIZE_LIMITS.dimension }).map((value) => ({ config: { ...BASE, hiddenSize: value }, argument: 'config', value })),
);

const BUILT_IN_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__'];
const builtInName = fc.constantFrom(...BUILT_IN_NAMES);

function own(name: string, value: unknown): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  return record;
}

/** Values that are not an options object. */
const notAnObject = fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.boolean(), fc.constant([1]), fc.constant(new Map()), fc.constant(Promise.resolve({})), fc.constant(new Date(0)));
const unknownKey = (known: readonly string[]) => fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !known.includes(key));

/** Strings that read like valid numbers. */
const numericString = fc.oneof(fc.integer({ min: 0, max: 4 }).map(String), fc.constantFrom('0.5', '1e-3', '2'));

describe(`property-based bad input by class (on ${adapter})`, () => {
  it('1, 2: configs with numbers outside float32 or sizes above the bounds are refused at once, allocating nothing', async () => {
    const context = await contextFor(adapter);
    const tracker = trackBuffers(context.device);
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(float32Config.map((c) => ({ ...c, badClass: CLASS.float32 })), oversizedConfig.map((c) => ({ ...c, badClass: CLASS.sizes }))), async ({ config, argument, value, badClass }) => {
          tally.count(badClass);
          expectRefused(await errorOf(() => RnnModel.create(context, config as RnnModelConfig)), argument, value);
        }),
        { numRuns: 2 * RUNS, seed: seedFor(11) },
      );
      expect(tracker.created()).toBe(0);
    } finally {
      tracker.stop();
    }
  });

  it('1, 2, 5: a model refuses out-of-range values, oversized shapes and look-alike strings, and stays unchanged', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, BASE);
    const dense = await RnnModel.create(context, { inputSize: 2, hiddenSize: 2, outputSize: 2, loss: 'mse' });
    try {
      const parameters = await model.readParameters();
      const names = Object.keys(parameters);
      const state = 1 * 1 * 3;
      const cases = fc.oneof(
        // 1: a value beyond float32 in any element of anything bound for the GPU.
        fc.record({ name: fc.constantFrom(...names), index: fc.nat(), value: beyondFloat32 }).map(({ name, index, value }) => {
          const values = Array.from(parameters[name]);
          values[index % values.length] = value;
          return { badClass: CLASS.float32, argument: `parameters.${name}`, value, act: () => model.writeParameters({ [name]: values }) };
        }),
        fc.record({ field: fc.constantFrom('initialHidden', 'initialCell'), index: fc.nat({ max: state - 1 }), value: beyondFloat32 }).map(({ field, index, value }) => {
          const values = new Array(state).fill(0);
          values[index] = value;
          return { badClass: CLASS.float32, argument: `batch.${field}`, value, act: () => model.trainStep({ ...BATCH, timeSteps: 2, [field]: values }) };
        }),
        fc.record({ field: fc.constantFrom('inputs', 'targetValues'), index: fc.nat({ max: 1 }), value: beyondFloat32 }).map(({ field, index, value }) => {
          const batch = { timeSteps: 1, batchSize: 1, inputs: [0, 0], targetValues: [0, 0] } as Record<string, unknown>;
          batch[field] = index === 0 ? [value, 0] : [0, value];
          return { badClass: CLASS.float32, argument: `batch.${field}`, value, act: () => dense.trainStep(batch as unknown as SequenceBatch) };
        }),
        fc.oneof(beyondFloat32.filter((v) => v > 0), belowNormalFloat32).map((value) => ({ badClass: CLASS.float32, argument: 'learningRate', value, act: () => model.setLearningRate(value) })),
        fc.oneof(fc.double({ min: 0, max: 9.99e-7, noNaN: true }), fc.double({ max: 0, noNaN: true }), fc.constant(Number.NaN)).map((value) => ({
          badClass: CLASS.float32,
          argument: 'options.temperature',
          value,
          act: () => model.generate({ primeTokens: [0], length: 2, temperature: value }),
        })),
        // 2: sizes above the bounds in a batch or a generation.
        fc.integer({ min: SIZE_LIMITS.timeSteps + 1, max: Number.MAX_SAFE_INTEGER }).map((value) => ({ badClass: CLASS.sizes, argument: 'batch.timeSteps', value, act: () => model.trainStep({ ...BATCH, timeSteps: value }) })),
        fc.integer({ min: SIZE_LIMITS.generateLength + 1, max: Number.MAX_SAFE_INTEGER }).map((value) => ({ badClass: CLASS.sizes, argument: 'options.length', value, act: () => model.generate({ primeTokens: [0], length: value }) })),
        // 5: strings, null and booleans where numbers are expected: the message quotes them as what they are.
        fc.record({ field: fc.constantFrom('inputTokens', 'targets'), index: fc.nat({ max: 1 }), value: numericString }).map(({ field, index, value }) => {
          const values: unknown[] = [...(BATCH[field as 'inputTokens' | 'targets'] as number[])];
          values[index] = value;
          return { badClass: CLASS.types, argument: `batch.${field}`, value, quoted: JSON.stringify(value), act: () => model.trainStep({ ...BATCH, [field]: values }) };
        }),
        fc.record({ field: fc.constantFrom('timeSteps', 'batchSize'), value: fc.oneof(numericString, fc.constant(null), fc.boolean()) }).map(({ field, value }) => ({
          badClass: CLASS.types,
          argument: `batch.${field}`,
          value,
          quoted: value === null ? 'got null' : JSON.stringify(value),
          act: () => model.trainStep({ ...BATCH, [field]: value }),
        })),
        numericString.map((value) => ({ badClass: CLASS.types, argument: 'learningRate', value, quoted: `got ${JSON.stringify(value)}`, act: () => model.setLearningRate(value as never) })),
      );
      await fc.assert(
        fc.asyncProperty(cases, async (bad) => {
          tally.count(bad.badClass);
          const error = await errorOf(bad.act);
          expectRefused(error, bad.argument, bad.value);
          if ('quoted' in bad) expect((error as Error).message).toContain(bad.quoted);
        }),
        { numRuns: 3 * RUNS, seed: seedFor(12) },
      );
      expect(model.stepCount).toBe(0);
      expect(dense.stepCount).toBe(0);
      expect(model.config.optimizer.learningRate).toBe(2e-3);
      expect(await model.readParameters()).toEqual(parameters);
    } finally {
      model.dispose();
      dense.dispose();
    }
  });

  it('3, 4: built-in names and unknown keys in parameters, configs and every options object; options of the wrong kind', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, BASE);
    try {
      const parameters = await model.readParameters();
      const weights = await model.saveWeights();
      const cases = fc.oneof(
        builtInName.map((name) => ({ badClass: CLASS.names, argument: `parameters.${name}`, act: () => model.writeParameters(own(name, [1]) as never) })),
        builtInName.map((name) => ({ badClass: CLASS.names, argument: `config.${name}`, act: () => RnnModel.create(context, { ...BASE, ...own(name, 1) }) })),
        builtInName.map((name) => ({ badClass: CLASS.names, argument: `options.${name}`, act: () => model.generate({ primeTokens: [0], length: 1, ...own(name, 1) } as never) })),
        builtInName.map((name) => ({ badClass: CLASS.names, argument: `batch.${name}`, act: () => model.trainStep({ ...BATCH, ...own(name, 1) }) })),
        unknownKey(['primeTokens', 'length', 'temperature', 'topK', 'seed']).map((key) => ({ badClass: CLASS.options, argument: `options.${key}`, act: () => model.generate({ primeTokens: [0], length: 1, ...own(key, 1) } as never) })),
        unknownKey(['onProgress', 'progressEvery']).map((key) => ({ badClass: CLASS.options, argument: `options.${key}`, act: () => model.trainEpoch([BATCH], own(key, 1) as never) })),
        unknownKey(['optimizer', 'inputKind']).map((key) => ({ badClass: CLASS.options, argument: `options.${key}`, act: () => RnnModel.fromWeights(context, weights, own(key, 1) as never) })),
        notAnObject.map((value) => ({ badClass: CLASS.options, argument: 'options', act: () => model.generate(value as never) })),
        notAnObject.filter((value) => value !== null && typeof value === 'object' && !Array.isArray(value)).map((value) => ({ badClass: CLASS.options, argument: 'parameters', act: () => model.writeParameters(value as never) })),
        notAnObject.map((value) => ({ badClass: CLASS.options, argument: 'extraMetadata', act: () => model.saveWeights(value as never) })),
        notAnObject.map((value) => ({ badClass: CLASS.options, argument: 'context', act: () => RnnModel.create(value as never, BASE) })),
      );
      await fc.assert(
        fc.asyncProperty(cases, async (bad) => {
          tally.count(bad.badClass);
          expectRefused(await errorOf(bad.act), bad.argument, bad.argument);
        }),
        { numRuns: 3 * RUNS, seed: seedFor(13) },
      );
      expect(model.stepCount).toBe(0);
      expect(await model.readParameters()).toEqual(parameters);
    } finally {
      model.dispose();
    }
  });

  it('6, 7: refused calls allocate nothing; an epoch with a bad batch anywhere trains nothing', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 2 ** 12, hiddenSize: 2 });
    await model.trainStep({ ...BATCH, timeSteps: 1, batchSize: 2, inputTokens: [0, 1], targets: [1, 2] }).loss();
    const parameters = await model.readParameters();
    const limit = Math.min(context.limits.maxStorageBufferBindingSize, context.limits.maxBufferSize);
    const firstTooMany = Math.floor(limit / (4 * 2 ** 12)) + 1;
    const badSize = fc.oneof(fc.constantFrom(0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300), fc.string(), fc.constant(null));
    const tracker = trackBuffers(context.device);
    try {
      const memory = fc.oneof(
        fc.integer({ min: firstTooMany, max: firstTooMany + 5000 }).map((rows) => () => model.trainStep({ timeSteps: 1, batchSize: rows, inputTokens: new Uint32Array(rows), targets: new Uint32Array(rows) })),
        fc.integer({ min: 3, max: 64 }).map((batchSize) => () => model.evaluate({ timeSteps: 1, batchSize, inputTokens: new Uint32Array(batchSize), initialHidden: 'carry' })),
        fc.tuple(badSize, fc.integer({ min: 1, max: 4 })).map(([bad, good]) => () => model.dispatchesPerStep(bad as number, good)),
        fc.tuple(fc.integer({ min: 1, max: 4 }), badSize).map(([good, bad]) => () => model.dispatchesPerStep(good, bad as number)),
      );
      const bytes = tracker.liveBytes();
      await fc.assert(
        fc.asyncProperty(memory, async (act) => {
          tally.count(CLASS.memory);
          expect(await errorOf(act)).toBeInstanceOf(InvalidArgumentError);
        }),
        { numRuns: RUNS, seed: seedFor(14) },
      );
      expect(tracker.created()).toBe(0);
      expect(tracker.liveBytes()).toBe(bytes);

      const good: SequenceBatch = { timeSteps: 1, batchSize: 2, inputTokens: [0, 1], targets: [1, 0] };
      const badBatch = fc.oneof(
        fc.constant({ ...good, inputTokens: [0, 2 ** 12] }),
        fc.constant({ ...good, targets: [1] }),
        fc.constant({ ...good, timeSteps: 0 }),
        fc.constant({ ...good, initialHidden: [0, 1e39, 0, 0] }),
        fc.constant({ ...good, targets: undefined }),
        fc.constant({ ...good, extra: 1 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.nat(), badBatch, async (length, where, bad) => {
          tally.count(CLASS.late);
          const batches: SequenceBatch[] = Array.from({ length }, () => good);
          const index = where % (length + 1);
          batches.splice(index, 0, bad as SequenceBatch);
          const error = await errorOf(() => model.trainEpoch(batches));
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument.startsWith(`batches[${index}]`)).toBe(true);
        }),
        { numRuns: RUNS, seed: seedFor(15) },
      );
      expect(tracker.created()).toBe(0);
      expect(model.stepCount).toBe(1);
      expect(await model.readParameters()).toEqual(parameters);
    } finally {
      tracker.stop();
      model.dispose();
    }
    context.throwIfFaulted();
  });

  it('every class was tried', () => {
    for (const badClass of Object.values(CLASS)) expect(tally.get(badClass), badClass).toBeGreaterThan(0);
  });
});
