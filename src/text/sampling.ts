/**
 * Text generation from a trained character model (RnnModel.generate does the work
 * on the GPU), and the same draw on the CPU for logits read back by the caller.
 */
import type { RnnModel } from '../model/rnn-model.ts';
import { checkTemperature } from '../model/options.ts';
import { describeValue, InvalidArgumentError, requireOptions, requirePositiveInteger } from '../validation.ts';
import { CharacterVocabulary } from './vocabulary.ts';

export interface SampleOptions {
  /** Text the sample continues; must use the vocabulary's characters. Default: the first character of the vocabulary. */
  prime?: string;
  /** Characters to generate. */
  length: number;
  /** Softmax temperature: below 1 sharper, above 1 more varied. Default 1. */
  temperature?: number;
  /** Draw only among the k most likely characters. Default: all. */
  topK?: number;
  /** Seed of the draws. Default 0. */
  seed?: number;
}

/** Draws an index from softmax(logits / temperature) over the topK largest logits (all by default), computed stably. */
export function sampleFromLogits(logits: ArrayLike<number>, temperature: number, random: () => number, topK?: number): number {
  checkSamplingArguments(logits, temperature, random, topK);
  topK ??= logits.length;
  // The k-th largest logit: everything below it gets weight 0 (ties at the threshold are kept).
  const cutoff = topK >= logits.length ? -Infinity : Array.from(logits).sort((a, b) => b - a)[topK - 1];
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    weights[i] = logits[i] >= cutoff ? Math.exp(logits[i] / temperature - max) : 0;
    total += weights[i];
  }
  let remaining = random() * total;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    last = i;
    remaining -= weights[i];
    if (remaining < 0) return i;
  }
  return last;
}

/** The CPU draw's arguments: finite logits, a temperature as generate() takes it, a random source, topK ≥ 1. */
function checkSamplingArguments(logits: ArrayLike<number>, temperature: number, random: unknown, topK: unknown): void {
  if (!(Array.isArray(logits) || (ArrayBuffer.isView(logits) && !(logits instanceof DataView))) || logits.length === 0) {
    throw new InvalidArgumentError('logits', `got ${describeValue(logits)}, expected a non-empty array of numbers`);
  }
  for (let i = 0; i < logits.length; i++) {
    if (typeof logits[i] !== 'number' || !Number.isFinite(logits[i])) {
      throw new InvalidArgumentError('logits', `element ${i} is ${describeValue(logits[i])}, expected a finite number`);
    }
  }
  checkTemperature('temperature', temperature);
  if (typeof random !== 'function') throw new InvalidArgumentError('random', `got ${describeValue(random)}, expected a function returning numbers in [0, 1)`);
  if (topK !== undefined) requirePositiveInteger('topK', topK);
}

const SAMPLE_KEYS = ['prime', 'length', 'temperature', 'topK', 'seed'];

/** sampleText's arguments: a model (not a Promise of one), a CharacterVocabulary, options of known keys with a string prime. */
function checkSampleTextArguments(model: unknown, vocabulary: unknown, options: unknown): void {
  const config = (model as { config?: { inputKind?: unknown } } | null)?.config;
  if (typeof model !== 'object' || model === null || typeof config !== 'object' || typeof (model as { generate?: unknown }).generate !== 'function') {
    throw new InvalidArgumentError('model', `got ${describeValue(model)}, expected an RnnModel${typeof (model as { then?: unknown } | null)?.then === 'function' ? ' (await RnnModel.create first)' : ''}`);
  }
  if (!(vocabulary instanceof CharacterVocabulary)) throw new InvalidArgumentError('vocabulary', `got ${describeValue(vocabulary)}, expected a CharacterVocabulary`);
  const checked = requireOptions('options', options, SAMPLE_KEYS, false);
  if (checked.prime !== undefined && (typeof checked.prime !== 'string' || checked.prime.length === 0)) {
    throw new InvalidArgumentError('options.prime', `got ${describeValue(checked.prime)}, expected a string of at least one character (or no prime: the vocabulary's first character)`);
  }
  if (checked.length === undefined) throw new InvalidArgumentError('options.length', 'missing; expected how many characters to generate');
}

/** Generates `length` characters after the priming text (which is not included in the result), on the GPU. */
export async function sampleText(model: RnnModel, vocabulary: CharacterVocabulary, options: SampleOptions): Promise<string> {
  checkSampleTextArguments(model, vocabulary, options);
  if (model.config.inputKind !== 'tokens' || model.config.inputSize !== vocabulary.size || model.config.outputSize !== vocabulary.size) {
    throw new InvalidArgumentError(
      'vocabulary',
      `has ${vocabulary.size} characters, but the model takes ${model.config.inputKind === 'tokens' ? `${model.config.inputSize} token ids` : `dense inputs of size ${model.config.inputSize}`} and predicts ${model.config.outputSize} classes`,
    );
  }
  const primeTokens = vocabulary.encode(options.prime ?? vocabulary.characters[0], 'options.prime');
  const tokens = await model.generate({ primeTokens, length: options.length, temperature: options.temperature, topK: options.topK, seed: options.seed });
  return vocabulary.decode(tokens);
}
