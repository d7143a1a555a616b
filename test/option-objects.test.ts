/**
 * Every public function checks its options the way RnnModel.create checks its
 * config: unknown keys are refused naming the nearest valid one, a missing or
 * wrongly typed options object, a Promise instead of a context and a malformed
 * checkpoint training_state give typed errors, never an internal TypeError; a
 * refused call trains nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  CharacterVocabulary,
  createGpuContext,
  decodeSafetensors,
  encodeSafetensors,
  evaluateStreams,
  exportOnnx,
  type GpuContext,
  InvalidArgumentError,
  RnnModel,
  SafetensorsError,
  sampleFromLogits,
  sampleText,
  splitText,
  TextBatches,
} from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[0];

async function rejection(promise: () => Promise<unknown>): Promise<Error> {
  let caught: unknown;
  try {
    await promise();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(Error);
  expect(caught).not.toBeInstanceOf(TypeError);
  return caught as Error;
}

async function invalid(promise: () => unknown, argument: string, ...fragments: string[]): Promise<void> {
  const error = await rejection(async () => promise());
  expect(error, `${argument}: ${error.message}`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

describe(`option objects (on ${adapter})`, () => {
  it('generate, trainEpoch, learningRateAt: typos name the nearest key; missing or mistyped options are refused', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    try {
      await invalid(() => model.generate({ primeTokens: [0], length: 3, temprature: 0.5 } as never), 'options.temprature', "did you mean 'temperature'?");
      await invalid(() => model.generate({ primeTokens: [0], length: 3, top_k: 2 } as never), 'options.top_k', "did you mean 'topK'?");
      await invalid(() => (model.generate as (o?: unknown) => Promise<unknown>)(), 'options', 'got undefined', 'primeTokens');
      await invalid(() => model.generate({ primeTokens: [0] } as never), 'options.length', 'missing');
      await invalid(() => model.generate({ primeTokens: [0], length: 2, seed: 2 ** 32 }), 'options.seed', 'got 4294967296', '[0, 2^32)');
      await invalid(() => model.generate(new Map() as never), 'options', 'got a Map');
      const batches = [{ timeSteps: 1, batchSize: 1, inputTokens: [0], targets: [1] }];
      await invalid(() => model.trainEpoch(batches, { onprogress: () => {} } as never), 'options.onprogress', "did you mean 'onProgress'?");
      await invalid(() => model.trainEpoch(batches, null as never), 'options', 'got null');
      await invalid(() => model.trainEpoch(batches, { onProgress: 'log' } as never), 'options.onProgress', 'got "log"', 'expected a function');
      await invalid(() => model.trainEpoch('abc' as never), 'batches', 'got "abc"', 'iterable');
      await invalid(() => model.trainEpoch(undefined as never), 'batches', 'got undefined');
      expect(() => model.learningRateAt(0)).toThrow(InvalidArgumentError);
      expect(model.stepCount).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('writeParameters(Map), saveWeights(string) and saveCheckpoint(null) are refused', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    try {
      const before = await model.readParameters();
      await invalid(() => model.writeParameters(new Map([['bias', [1, 1, 1, 1]]]) as never), 'parameters', 'got a Map', 'Object.fromEntries(map)');
      await invalid(() => model.writeParameters([[1]] as never), 'parameters', 'got an array');
      expect(await model.readParameters()).toEqual(before);
      await invalid(() => model.saveWeights('abc' as never), 'extraMetadata', 'got "abc"');
      await invalid(() => model.saveWeights({ epochs: 3 } as never), 'extraMetadata.epochs', 'got 3', 'strings only');
      await invalid(() => model.saveCheckpoint(null as never), 'extraMetadata', 'got null');
    } finally {
      model.dispose();
    }
  });

  it('a missing or un-awaited context is refused by create, fromWeights and fromCheckpoint', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    const weights = await model.saveWeights();
    const checkpoint = await model.saveCheckpoint();
    model.dispose();
    const pending = Promise.resolve(context) as unknown as GpuContext;
    await invalid(() => RnnModel.create(pending, { vocabularySize: 4, hiddenSize: 3 }), 'context', 'got a Promise', 'await createGpuContext()');
    await invalid(() => RnnModel.create(undefined as never, { vocabularySize: 4, hiddenSize: 3 }), 'context', 'got undefined');
    await invalid(() => RnnModel.fromWeights(pending, weights), 'context', 'got a Promise');
    await invalid(() => RnnModel.fromCheckpoint(pending, checkpoint), 'context', 'got a Promise');
    await invalid(() => RnnModel.fromWeights(context, weights, { optimiser: { type: 'sgd', learningRate: 1 } } as never), 'options.optimiser', "did you mean 'optimizer'?");
    await invalid(() => RnnModel.fromWeights(context, weights, { optimizer: null } as never), 'options.optimizer', 'got null');
    await invalid(() => RnnModel.fromWeights(context, weights, { inputKind: 'text' } as never), 'options.inputKind', 'got "text"');
  });

  it('a malformed checkpoint training_state is a SafetensorsError naming the field', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    const checkpoint = decodeSafetensors(await model.saveCheckpoint());
    model.dispose();
    const state = JSON.parse(checkpoint.metadata.training_state);
    const cases: [string | undefined, string][] = [
      ['null', 'training_state is null'],
      ['[]', 'training_state is an array'],
      ['5', 'training_state is 5'],
      ['"text"', 'training_state is "text"'],
      ['{', 'not valid JSON'],
      [undefined, 'no training_state'],
      [JSON.stringify({ ...state, config: null }), 'training_state.config is null'],
      [JSON.stringify({ ...state, config: 'lstm' }), 'training_state.config is "lstm"'],
      [JSON.stringify({ ...state, optimizerStep: '3' }), 'training_state.optimizerStep is "3"'],
      [JSON.stringify({ ...state, lossWrites: -1 }), 'training_state.lossWrites is -1'],
      [JSON.stringify({ ...state, extra: 1 }), "unknown field 'extra'"],
      [JSON.stringify({ ...state, config: { ...state.config, hiddenSize: 'x' } }), 'config.hiddenSize: got "x"'],
      [JSON.stringify({ ...state, config: { ...state.config, hiddenSize: 5 } }), "tensor 'rnn.weight_hh_l0' has shape [3,3], expected [5,5]"],
    ];
    for (const [trainingState, fragment] of cases) {
      const { training_state: _, ...rest } = checkpoint.metadata;
      const metadata = trainingState === undefined ? rest : { ...rest, training_state: trainingState };
      const bytes = encodeSafetensors({ tensors: checkpoint.tensors, metadata });
      const error = await rejection(() => RnnModel.fromCheckpoint(context, bytes));
      expect(error, `${trainingState}: ${error.message}`).toBeInstanceOf(SafetensorsError);
      expect(error.message).toContain(fragment);
    }
  });

  it('sampleText, sampleFromLogits, the vocabulary, TextBatches, splitText and decodeSafetensors check their arguments', async () => {
    const context = await contextFor(adapter);
    const vocabulary = CharacterVocabulary.fromText('abcd');
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    try {
      await invalid(() => sampleText(model, vocabulary, { lenght: 5 } as never), 'options.lenght', "did you mean 'length'?");
      await invalid(() => sampleText(model, vocabulary, { prime: 5, length: 2 } as never), 'options.prime', 'got 5');
      await invalid(() => sampleText(model, vocabulary, { prime: '', length: 2 }), 'options.prime', 'at least one character');
      await invalid(() => sampleText(model, vocabulary, { prime: 'aZ', length: 2 }), 'options.prime', 'character "Z" at index 1');
      await invalid(() => sampleText(Promise.resolve(model) as never, vocabulary, { length: 2 }), 'model', 'await RnnModel.create first');
      await invalid(() => sampleText(model, { size: 4 } as never, { length: 2 }), 'vocabulary', 'expected a CharacterVocabulary');
      expect(await sampleText(model, vocabulary, { prime: 'ab', length: 3 })).toHaveLength(3);
    } finally {
      model.dispose();
    }
    await invalid(() => sampleFromLogits([1, 2], 1, () => 0.5, 0), 'topK', 'got 0');
    await invalid(() => sampleFromLogits([], 1, () => 0.5), 'logits', 'non-empty');
    await invalid(() => sampleFromLogits([1, Number.NaN], 1, () => 0.5), 'logits', 'element 1 is NaN');
    await invalid(() => sampleFromLogits([1, 2], 1, 0.5 as never), 'random', 'got 0.5');
    await invalid(() => vocabulary.encode(5 as never), 'text', 'got 5');
    await invalid(() => new CharacterVocabulary(['ab', 'c']), 'characters', 'element 0 is "ab"');
    await invalid(() => CharacterVocabulary.fromText(null as never), 'text', 'got null');
    await invalid(() => CharacterVocabulary.fromMetadata(null as never), 'metadata', 'got null');
    await invalid(() => vocabulary.decode([0, 9]), 'ids', 'element 1 is 9');
    await invalid(() => new TextBatches('abcdefgh' as never, 2, 1), 'tokens', 'got "abcdefgh"');
    await invalid(() => new TextBatches(vocabulary.encode('abcdabcd'), 2, 1).batch(Number.NaN), 'index', 'got NaN');
    await invalid(() => splitText(5 as never, 0.1), 'text', 'got 5');
    await invalid(() => new TextBatches(vocabulary.encode('abcd'), 8, 4), 'tokens', 'has 4 tokens');
    const bytes = encodeSafetensors({ tensors: {}, metadata: {} });
    expect(() => decodeSafetensors(bytes, { maxHeader: 5 } as never)).toThrow(SafetensorsError);
    expect(() => encodeSafetensors({ tensors: {}, metadata: {}, metdata: {} } as never)).toThrow("unknown field 'metdata'");
  });

  it('run options, evaluateStreams, exportOnnx and the adapter refuse what they do not know; names from other libraries are pointed to ours', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3 });
    try {
      const batch = { timeSteps: 2, batchSize: 1, inputTokens: [0, 1], targets: [1, 2] };
      const before = await model.readParameters();
      // A typo in a run's options would otherwise run on the default stream without a word.
      await invalid(() => model.trainStep(batch, { strem: 'x' } as never), 'options.strem', "did you mean 'stream'?");
      await invalid(() => model.predict({ ...batch, targets: undefined }, { foo: 1 } as never), 'options.foo', 'unknown option');
      await invalid(() => model.evaluate(batch, { steam: 'p' } as never), 'options.steam', "did you mean 'stream'?");
      await invalid(() => model.computeGradients(batch, null as never), 'options', 'got null');
      expect(model.stepCount).toBe(0);
      expect(await model.readParameters()).toEqual(before);
      await expect(model.readGradients()).rejects.toThrow('No backward pass yet');
      await invalid(() => model.evaluate({ ...batch, targets: undefined }), 'batch.targets', 'evaluate');
      await invalid(() => model.trainStep({ ...batch, initialHidden: 'carryy' as never }), 'batch.initialHidden', "expected 'carry'");
      await invalid(() => model.trainStep({ ...batch, lengths: [3] }), 'batch.lengths', 'element 0 is 3, expected a length in [1, 2]');
      await invalid(() => model.trainStep({ ...batch, lengths: [0] }), 'batch.lengths', 'element 0 is 0, expected a length in [1, 2]');
      await invalid(() => model.generate({ primeTokens: new Array(70_000).fill(1), length: 2 }), 'options.primeTokens', 'has 70000 tokens');
      // Other libraries' names for ours.
      await invalid(() => RnnModel.create(context, { vocabularySize: 4, hiddenSize: 3, optimizer: { type: 'adam', lr: 0.1 } as never }), 'config.optimizer.lr', "did you mean 'learningRate'?");
      await invalid(() => model.generate({ prime: [1], length: 2 } as never), 'options.prime', "did you mean 'primeTokens'?");
      await invalid(() => RnnModel.create(context, { vocabularySize: 4, hidden_size: 3 } as never), 'config.hidden_size', "did you mean 'hiddenSize'?");

      const vocabulary = CharacterVocabulary.fromText('abcd');
      const streams = new TextBatches(vocabulary.encode('abcdabcdabcdabcd'), 2, 2);
      await invalid(() => evaluateStreams(model, streams, { cary: false } as never), 'options.cary', "did you mean 'carry'?");
      await invalid(() => evaluateStreams(model, streams, { carry: 'no' } as never), 'options.carry', 'expected true or false');
      for (const count of [0, -1, Number.NaN, 1.5]) await invalid(() => evaluateStreams(model, streams, { count }), 'options.count');
      await invalid(() => evaluateStreams(model, [] as never), 'batches', 'stream batches');
      await invalid(() => evaluateStreams(model, streams, null as never), 'options', 'got null');
      expect(Number.isFinite(await evaluateStreams(model, streams, { count: 1000 }))).toBe(true); // at most an epoch

      await invalid(() => exportOnnx(model, { opset: 13 } as never), 'options.opset', 'unknown option');
      await invalid(() => exportOnnx(model, { metadata: { a: 1 } } as never), 'options.metadata.a', 'expected a string');
      await invalid(() => exportOnnx(model, null as never), 'options', 'got null');

      // The bytes of a file as an ArrayBuffer (file.arrayBuffer(), fetch) load as a Uint8Array does.
      const weights = await model.saveWeights();
      const copy = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
      const again = await RnnModel.fromWeights(context, copy as ArrayBuffer);
      expect(await again.readParameters()).toEqual(await model.readParameters());
      again.dispose();
    } finally {
      model.dispose();
    }
    await invalid(() => createGpuContext({ adapter: 'cuda' as never }), 'options.adapter', "expected one of 'auto'");
  });
});
