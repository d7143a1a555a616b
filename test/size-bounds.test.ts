/**
 * Sizes have upper bounds, checked before anything is allocated: stated maxima for
 * config sizes, layers, batch shapes and generation length; the device's buffer
 * limit for the parameters and for a batch's buffers; and a file's tensors against
 * the architecture its metadata claims, before any model is built.
 */
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, InvalidArgumentError, MODEL_FORMAT, RnnModel, type RnnModelConfig, SafetensorsError } from '../src/index.ts';
import { SIZE_LIMITS } from '../src/model/size-limits.ts';
import { trackBuffers } from './buffer-tracker.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];

async function refusedQuickly(action: () => Promise<unknown>): Promise<Error> {
  const started = performance.now();
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(performance.now() - started).toBeLessThan(2000);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe(`size bounds (on ${adapter})`, () => {
  it('refuses huge config sizes and layer counts at once, naming the stated maximum or the device limit, allocating nothing', async () => {
    const context = await contextFor(adapter);
    const tracker = trackBuffers(context.device);
    try {
      const cases: [RnnModelConfig, string, string][] = [
        [{ vocabularySize: 5, hiddenSize: 1e9 }, 'config.hiddenSize', `up to ${SIZE_LIMITS.dimension} (the stated maximum)`],
        [{ vocabularySize: 2 ** 40, hiddenSize: 4 }, 'config.vocabularySize', 'got 1099511627776'],
        [{ vocabularySize: 5, hiddenSize: 4, layers: 1e9 }, 'config.layers', `up to ${SIZE_LIMITS.layers}`],
        [{ vocabularySize: 5, hiddenSize: 4, embeddingSize: 1e300 }, 'config.embeddingSize', 'got 1e+300'],
        [{ inputSize: 3, hiddenSize: 4, outputSize: 2 ** 31 }, 'config.outputSize', 'stated maximum'],
        // Within the stated maxima but beyond the device: W_hh alone is 4·H² floats.
        [{ cell: 'lstm', vocabularySize: 5, hiddenSize: 2 ** 20 }, 'config', "above this device's"],
        [{ vocabularySize: 2 ** 24, hiddenSize: 2 ** 12 }, 'config', 'parameters needs'],
      ];
      for (const [config, argument, fragment] of cases) {
        const error = await refusedQuickly(() => RnnModel.create(context, config));
        expect(error, JSON.stringify(config)).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(argument);
        expect(error.message).toContain(fragment);
      }
      expect(tracker.created()).toBe(0);
    } finally {
      tracker.stop();
    }
  });

  it('refuses a generation length above the stated maximum and batch shapes beyond the maxima or the device', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 2 ** 14, hiddenSize: 2 });
    const tracker = trackBuffers(context.device);
    try {
      const error = await refusedQuickly(() => model.generate({ primeTokens: [0], length: 1e8 }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain(`options.length: got 100000000, expected a positive integer up to ${SIZE_LIMITS.generateLength}`);
      expect(() => model.trainStep({ timeSteps: 1e6, batchSize: 1, inputTokens: [], targets: [] })).toThrow(`up to ${SIZE_LIMITS.timeSteps}`);
      // Logits of T·B rows × 2^14 classes: one row more than the device's buffer limit holds.
      const limit = Math.min(context.limits.maxStorageBufferBindingSize, context.limits.maxBufferSize);
      const rows = Math.floor(limit / (4 * 2 ** 14)) + 1;
      const batch = { timeSteps: 1, batchSize: rows, inputTokens: new Uint32Array(rows), targets: new Uint32Array(rows) };
      let caught: unknown;
      try {
        model.trainStep(batch);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as Error).message).toMatch(new RegExp(`timeSteps × batchSize = 1 × ${rows} needs \\d+ bytes for the logits, above this device's max\\w+ of ${limit} bytes`));
      expect(tracker.created()).toBe(0);
      expect(model.stepCount).toBe(0);
    } finally {
      tracker.stop();
      model.dispose();
    }
  });

  it("checks a file's tensors against the architecture its metadata claims before building anything", async () => {
    const context = await contextFor(adapter);
    const small = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    const parameters = await small.readParameters();
    const shapes = small.parameterShapes;
    small.dispose();
    const tensors = Object.fromEntries(Object.entries(parameters).map(([name, data]) => [name, { dtype: 'F32' as const, shape: shapes[name], data }]));
    const metadata = { format: MODEL_FORMAT, format_version: '1', cell: 'rnn', nonlinearity: 'tanh', layers: '1', input_kind: 'tokens', input_size: '3', embedding_size: '0', output_size: '3' };
    const tracker = trackBuffers(context.device);
    try {
      for (const hidden of ['3000', '16777216']) {
        const bytes = encodeSafetensors({ tensors, metadata: { ...metadata, hidden_size: hidden } });
        const error = await refusedQuickly(() => RnnModel.fromWeights(context, bytes));
        expect(error).toBeInstanceOf(SafetensorsError);
        expect(error.message).toContain(`tensor 'rnn.weight_hh_l0' has shape [2,2], expected [${hidden},${hidden}]`);
      }
      const absurd = encodeSafetensors({ tensors, metadata: { ...metadata, hidden_size: '1000000000000' } });
      const error = await refusedQuickly(() => RnnModel.fromWeights(context, absurd));
      expect(error).toBeInstanceOf(SafetensorsError);
      expect(error.message).toContain('config.hiddenSize: got 1000000000000');
      expect(tracker.created()).toBe(0);
      const fits = await RnnModel.fromWeights(context, encodeSafetensors({ tensors, metadata: { ...metadata, hidden_size: '2' } }));
      expect(await fits.readParameters()).toEqual(parameters);
      fits.dispose();
    } finally {
      tracker.stop();
    }
  });
});

describe(`generation over a large vocabulary (on ${adapter})`, () => {
  it('samples from all of 2^13 tokens without top-k selection (V² would be 67M steps a token), and bounds V·topK', async () => {
    const context = await contextFor(adapter);
    const V = 2 ** 13;
    const model = await RnnModel.create(context, { vocabularySize: V, hiddenSize: 2, seed: 4 });
    try {
      const started = performance.now();
      const tokens = await model.generate({ primeTokens: [0], length: 6, seed: 1 });
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(tokens).toHaveLength(6);
      expect(new Set(tokens).size).toBeGreaterThan(3); // near-uniform over 8,192 tokens
      const error = await model.generate({ primeTokens: [0], length: 3, topK: 4096 }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain(`use topK ≤ ${Math.floor(SIZE_LIMITS.topKSelection / V)}`);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
