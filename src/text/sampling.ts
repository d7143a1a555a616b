/**
 * Text generation from a trained character model: the priming text is run
 * through the network once, then one character at a time is drawn from
 * softmax(logits / temperature) and fed back, the hidden state carried on the GPU.
 */
import type { RnnModel } from '../model/rnn-model.ts';
import { seededRandom } from '../model/random.ts';
import { InvalidArgumentError, requirePositiveInteger, requirePositiveNumber } from '../validation.ts';
import type { CharacterVocabulary } from './vocabulary.ts';

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
export function sampleFromLogits(logits: ArrayLike<number>, temperature: number, random: () => number, topK = logits.length): number {
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

/** Generates `length` characters after the priming text (which is not included in the result). */
export async function sampleText(model: RnnModel, vocabulary: CharacterVocabulary, options: SampleOptions): Promise<string> {
  if (model.config.inputKind !== 'tokens' || model.config.inputSize !== vocabulary.size || model.config.outputSize !== vocabulary.size) {
    throw new InvalidArgumentError(
      'vocabulary',
      `has ${vocabulary.size} characters, but the model takes ${model.config.inputSize} ${model.config.inputKind} inputs and predicts ${model.config.outputSize} classes`,
    );
  }
  const length = requirePositiveInteger('options.length', options.length);
  const temperature = options.temperature === undefined ? 1 : requirePositiveNumber('options.temperature', options.temperature);
  const topK = options.topK === undefined ? vocabulary.size : requirePositiveInteger('options.topK', options.topK);
  const random = seededRandom(options.seed ?? 0);
  const prime = vocabulary.encode(options.prime || vocabulary.characters[0]);
  const V = vocabulary.size;

  let { logits } = await model.predict({ timeSteps: prime.length, batchSize: 1, inputTokens: prime });
  const generated = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const last = logits.subarray(logits.length - V);
    generated[i] = sampleFromLogits(last, temperature, random, topK);
    if (i + 1 < length) {
      ({ logits } = await model.predict({ timeSteps: 1, batchSize: 1, inputTokens: generated.subarray(i, i + 1), initialHidden: 'carry' }));
    }
  }
  return vocabulary.decode(generated);
}
