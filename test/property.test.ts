/**
 * Property-based: random invalid configs, batches and parameter writes thrown at
 * the public API each give an InvalidArgumentError naming the argument, before
 * any GPU work; afterwards the device is fine and a valid step still matches the
 * CPU reference. The seed changes every run and is printed (see property-seed.ts).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type RnnModelConfig, type SequenceBatch } from '../src/index.ts';
import { type ReferenceParameters, rnnLossAndGradients } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { announceSeed, BadInputTally, seedFor } from './property-seed.ts';

const adapter = TEST_ADAPTERS[0];
const RUNS = 150;
const tally = new BadInputTally();
announceSeed('property.test.ts');
afterAll(() => console.log(tally.report('property.test.ts')));

/** Values that are never a valid size. */
const badSize = fc.oneof(
  fc.constantFrom(0, -1, -7, 0.5, 2.25, Number.NaN, Number.POSITIVE_INFINITY, -0.0001, 1e300),
  fc.string(),
  fc.constant(null),
  fc.boolean(),
  fc.constant([3]),
  fc.constant({}),
);

/** Values that are never a valid learning rate (any finite number above 0 is one). */
const badRate = fc.oneof(fc.constantFrom(0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), fc.string(), fc.constant(null), fc.boolean(), fc.constant([0.1]));

const VALID_CONFIG: RnnModelConfig = { cell: 'lstm', layers: 2, vocabularySize: 5, hiddenSize: 4, seed: 1 };
const VALID_BATCH = { timeSteps: 3, batchSize: 2, inputTokens: [0, 1, 2, 3, 4, 0], targets: [1, 2, 3, 4, 0, 1] };

/** One field of a valid config replaced by something invalid, and the argument the error must name. */
const invalidConfig = fc.oneof(
  fc.record({ field: fc.constantFrom('hiddenSize', 'vocabularySize', 'layers', 'embeddingSize'), value: badSize }).map(({ field, value }) => ({
    config: { ...VALID_CONFIG, [field]: value },
    argument: `config.${field}`,
  })),
  fc.record({ value: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }).filter(({ value }) => !['rnn', 'lstm', 'gru'].includes(value as string)).map(({ value }) => ({
    config: { ...VALID_CONFIG, cell: value },
    argument: 'config.cell',
  })),
  fc.record({ value: fc.oneof(fc.double({ min: 1, max: 1e9 }), fc.double({ max: -1e-9, min: -1e9 }), fc.constant(Number.NaN)) }).map(({ value }) => ({
    config: { ...VALID_CONFIG, dropout: value },
    argument: 'config.dropout',
  })),
  fc.record({ type: fc.string().filter((t) => !['sgd', 'adam', 'adamw', 'rmsprop'].includes(t)) }).map(({ type }) => ({
    config: { ...VALID_CONFIG, optimizer: { type, learningRate: 0.1 } },
    argument: 'config.optimizer.type',
  })),
  fc.record({ learningRate: badRate }).map(({ learningRate }) => ({
    config: { ...VALID_CONFIG, optimizer: { type: 'adam', learningRate } },
    argument: 'config.optimizer.learningRate',
  })),
  fc.string({ minLength: 1 }).filter((key) => !/^(cell|nonlinearity|layers|dropout|vocabularySize|inputSize|embeddingSize|hiddenSize|outputSize|seed|optimizer|schedule|clipGradientNorm|loss|onNonFinite)$/.test(key)).map((key) => ({
    config: { ...VALID_CONFIG, [key]: 1 },
    argument: `config.${key}`,
  })),
);

/** One field of a valid batch made invalid: a length, a value out of range, a non-finite number, a wrong kind. */
const invalidBatch = fc.oneof(
  fc.record({ field: fc.constantFrom('timeSteps', 'batchSize'), value: badSize }).map(({ field, value }) => ({ batch: { ...VALID_BATCH, [field]: value }, argument: `batch.${field}` })),
  fc.record({ field: fc.constantFrom('inputTokens', 'targets'), index: fc.integer({ min: 0, max: 5 }), value: fc.oneof(fc.integer({ min: 5, max: 1e6 }), fc.integer({ min: -1e6, max: -101 }), fc.constantFrom(-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY)) }).map(
    ({ field, index, value }) => {
      const array = [...VALID_BATCH[field as 'inputTokens' | 'targets']];
      array[index] = value;
      return { batch: { ...VALID_BATCH, [field]: array }, argument: `batch.${field}` };
    },
  ),
  fc.record({ field: fc.constantFrom('inputTokens', 'targets'), length: fc.integer({ min: 0, max: 20 }).filter((n) => n !== 6) }).map(({ field, length }) => ({
    batch: { ...VALID_BATCH, [field]: new Array(length).fill(0) },
    argument: `batch.${field}`,
  })),
  fc.record({ length: fc.integer({ min: 0, max: 40 }).filter((n) => n !== 16), bad: fc.boolean() }).map(({ length, bad }) => ({
    batch: { ...VALID_BATCH, initialHidden: bad && length === 0 ? [Number.NaN] : new Array(length).fill(bad ? Number.NaN : 0) },
    argument: 'batch.initialHidden',
  })),
  fc.record({ value: fc.integer({ min: 4, max: 100 }) }).map(({ value }) => ({ batch: { ...VALID_BATCH, lengths: [3, value] }, argument: 'batch.lengths' })),
);

const toFloat64 = (parameters: Record<string, Float32Array>): ReferenceParameters =>
  Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));

describe(`property-based bad input (on ${adapter})`, () => {
  it(`${RUNS} random invalid configs are each refused with an InvalidArgumentError naming the field`, async () => {
    const context = await contextFor(adapter);
    await fc.assert(
      fc.asyncProperty(invalidConfig, async ({ config, argument }) => {
        tally.count('invalid config field (sizes, cell, dropout, optimizer, unknown keys)');
        const error = await RnnModel.create(context, config as RnnModelConfig).then(
          (model) => {
            model.dispose();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(error, `config ${JSON.stringify(config)}`).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(argument);
      }),
      { numRuns: RUNS, seed: seedFor(1) },
    );
    context.throwIfFaulted();
  });

  it(`${RUNS} random invalid batches and parameter writes are refused; the device stays fine and a valid step matches the reference`, async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, VALID_CONFIG);
    try {
      const parameters = await model.readParameters();
      fc.assert(
        fc.property(invalidBatch, ({ batch, argument }) => {
          tally.count('invalid batch field (sizes, tokens, targets, lengths, states)');
          let caught: unknown;
          try {
            model.trainStep(batch as SequenceBatch);
          } catch (error) {
            caught = error;
          }
          expect(caught, `batch ${JSON.stringify(batch)}`).toBeInstanceOf(InvalidArgumentError);
          expect((caught as InvalidArgumentError).argument.startsWith(argument)).toBe(true);
        }),
        { numRuns: RUNS, seed: seedFor(2) },
      );
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(parameters)), fc.integer({ min: 0, max: 50 }), fc.boolean(), (name, length, poison) => {
          const wanted = parameters[name].length;
          fc.pre(length !== wanted || poison);
          tally.count('parameter write of a wrong length or with NaN');
          const values = new Array(length === wanted || !poison ? length : wanted).fill(0.1);
          if (poison && values.length > 0) values[values.length - 1] = Number.NaN;
          expect(() => model.writeParameters({ [name]: values })).toThrow(InvalidArgumentError);
        }),
        { numRuns: RUNS, seed: seedFor(3) },
      );
      expect(model.stepCount).toBe(0);
      expect(await model.readParameters()).toEqual(parameters);

      const loss = await model.computeGradients(VALID_BATCH).loss();
      const want = rnnLossAndGradients(toFloat64(parameters), { cell: 'lstm', layers: 2, inputSize: 5, hiddenSize: 4, outputSize: 5 }, VALID_BATCH);
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const gradients = await model.readGradients();
      for (const name of Object.keys(want.gradients)) expectClose(`gradient ${name} after the bad inputs`, gradients[name], want.gradients[name], { relative: 1e-4, absolute: 2e-6 });
      context.throwIfFaulted();
    } finally {
      model.dispose();
    }
  });
});
