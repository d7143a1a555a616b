/**
 * What the demo trains on, as batches for RnnModel.trainStep and held-out
 * batches for validation; CPU only, no GPU.
 *
 * Text: char-rnn batches (TextBatches) over the first nine tenths of the text;
 * the last tenth is held out and never trained on.
 *
 * Copy memory: each sequence is T + 1 characters
 *     s₁ … s_k  .  .  .  …  .  :  s₁ … s_k            (k symbols from a–h, T − 2k blanks)
 * read one character at a time; the model predicts each next character. The
 * symbols after ':' are the ones it read T − k steps earlier, so predicting them
 * needs a memory that lasts that long. The loss is over every position (the
 * page trains on whole sequences, though IGNORE_INDEX targets could mask it), so the chart shows two reference lines: the loss of
 * a model that has learnt the layout and recalls perfectly (only the k − 1
 * unpredictable symbols cost, ln 8 each) and of one that has learnt the layout
 * but guesses the recalled symbols (they cost as much again); the recall
 * accuracy is measured on the recalled symbols alone.
 */
import { CharacterVocabulary, seededRandom, TextBatches, type TokenBatch } from '../src/index.ts';
import type { ReferenceLine, TaskKind } from './protocol.ts';

export interface TrainingData {
  kind: TaskKind;
  vocabulary: CharacterVocabulary;
  timeSteps: number;
  batchSize: number;
  trainingBatch(index: number): TokenBatch;
  /** Fixed held-out batches; empty when the text is too short to hold one out. */
  validationBatches: TokenBatch[];
  /** Copy task: the positions t·B + b of validation targets that are recalled symbols. */
  recallPositions?: number[];
  references: ReferenceLine[];
  /** Prime used when the page gives none. */
  defaultPrime: string;
  sampleLength: number;
  /** One line for the page, e.g. "2,693 characters to train on, 299 held out". */
  description: string;
}

/** A setting or text the demo cannot train on; the message says why and what would do. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Share of a text held out for validation. */
export const HELD_OUT_FRACTION = 0.1;
/** Held-out batches evaluated per validation. */
export const MAX_VALIDATION_BATCHES = 4;
export const TEXT_SAMPLE_LENGTH = 160;

export const COPY_SYMBOLS = 'abcdefgh';
export const COPY_BLANK = '.';
export const COPY_MARKER = ':';
/** How many symbols a sequence may ask to remember. */
export const COPY_LENGTHS = [1, 2, 4] as const;
const COPY_VALIDATION_SEED = 0x5eed;

function uniformReference(vocabulary: CharacterVocabulary): ReferenceLine {
  return { loss: Math.log(vocabulary.size), label: `uniform guess ln(${vocabulary.size})` };
}

/** Characters of `text` that `vocabulary` lacks, in order of first appearance. */
export function missingCharacters(text: string, vocabulary: CharacterVocabulary): string[] {
  const known = new Set(vocabulary.characters);
  return [...new Set(Array.from(text))].filter((character) => !known.has(character));
}

function requireCovered(text: string, vocabulary: CharacterVocabulary, what: string): void {
  const missing = missingCharacters(text, vocabulary);
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).map((character) => JSON.stringify(character)).join(', ');
    throw new DataError(
      `${what} has ${missing.length} character${missing.length === 1 ? '' : 's'} the model's vocabulary of ${vocabulary.size} lacks ` +
        `(${shown}${missing.length > 10 ? ', …' : ''}); press Reset to train a new model on it.`,
    );
  }
}

/**
 * Text data: the vocabulary is the text's own (or `vocabulary`, the model's, which
 * must cover the text); the last tenth is held out.
 */
export function textData(text: string, timeSteps: number, batchSize: number, vocabulary?: CharacterVocabulary): TrainingData {
  const characters = Array.from(text);
  if (characters.length === 0) throw new DataError('The text is empty: type, paste, drop or choose a text to train on.');
  if (vocabulary) requireCovered(text, vocabulary, 'The text');
  const words = vocabulary ?? CharacterVocabulary.fromText(text);
  const tokens = words.encode(text);
  const heldOut = Math.floor(tokens.length * HELD_OUT_FRACTION);
  const trainTokens = tokens.subarray(0, tokens.length - heldOut);
  const needed = batchSize * timeSteps + batchSize;
  if (trainTokens.length < needed) {
    throw new DataError(
      `The text has ${tokens.length} characters; with ${Math.round(HELD_OUT_FRACTION * 100)}% held out, ${trainTokens.length} remain to train on, ` +
        `but one batch of sequence length ${timeSteps} × batch size ${batchSize} needs ${needed}. Use a longer text or smaller settings.`,
    );
  }
  const batches = new TextBatches(trainTokens, timeSteps, batchSize);
  // Validation at the training shape when the held-out part allows (the model reuses that plan), else fewer streams.
  const validationStreams = Math.min(batchSize, Math.floor(heldOut / (timeSteps + 1)));
  let validationBatches: TokenBatch[] = [];
  if (validationStreams >= 1) {
    const held = new TextBatches(tokens.subarray(tokens.length - heldOut), timeSteps, validationStreams);
    validationBatches = Array.from({ length: Math.min(held.batchesPerEpoch, MAX_VALIDATION_BATCHES) }, (_, k) => held.batch(k));
  }
  const count = (n: number) => n.toLocaleString('en-US');
  return {
    kind: 'text',
    vocabulary: words,
    timeSteps,
    batchSize,
    trainingBatch: (index) => batches.batch(index),
    validationBatches,
    references: [uniformReference(words)],
    defaultPrime: characters[0],
    sampleLength: TEXT_SAMPLE_LENGTH,
    description:
      `${count(trainTokens.length)} characters to train on, ${count(heldOut)} held out` +
      (validationBatches.length === 0 ? ' (too few for a validation batch)' : '') +
      `; ${words.size} distinct`,
  };
}

/** One copy-memory sequence of timeSteps + 1 characters remembering `length` symbols. */
export function copySequence(timeSteps: number, length: number, random: () => number): string {
  const symbols = Array.from({ length }, () => COPY_SYMBOLS[Math.floor(random() * COPY_SYMBOLS.length)]).join('');
  return symbols + COPY_BLANK.repeat(timeSteps - 2 * length) + COPY_MARKER + symbols;
}

export const COPY_VOCABULARY = new CharacterVocabulary([...`${COPY_BLANK}${COPY_MARKER}${COPY_SYMBOLS}`].sort());

/** B sequences, time-major: inputs are characters 0..T−1, targets 1..T. */
function copyBatch(timeSteps: number, batchSize: number, length: number, seed: number, vocabulary: CharacterVocabulary): TokenBatch {
  const random = seededRandom(seed);
  const inputTokens = new Uint32Array(timeSteps * batchSize);
  const targets = new Uint32Array(timeSteps * batchSize);
  for (let b = 0; b < batchSize; b++) {
    const ids = vocabulary.encode(copySequence(timeSteps, length, random));
    for (let t = 0; t < timeSteps; t++) {
      inputTokens[t * batchSize + b] = ids[t];
      targets[t * batchSize + b] = ids[t + 1];
    }
  }
  return { timeSteps, batchSize, inputTokens, targets };
}

/**
 * The mean loss per position of a model that predicts the layout (blanks, marker) exactly
 * and recalls all or none of the `length` symbols: each guessed symbol costs ln 8.
 */
export function copyLossFloor(timeSteps: number, length: number, recalled: 'all' | 'none'): number {
  const guessed = length - 1 + (recalled === 'none' ? length : 0);
  return (guessed * Math.log(COPY_SYMBOLS.length)) / timeSteps;
}

/** The shortest sequence length for `length` symbols: the symbols, a blank, the marker, the symbols again. */
export function copyMinimumTimeSteps(length: number): number {
  return 2 * length + 1;
}

export function copyMemoryData(timeSteps: number, batchSize: number, length: number, vocabulary?: CharacterVocabulary): TrainingData {
  if (!(COPY_LENGTHS as readonly number[]).includes(length)) throw new DataError(`The copy task remembers ${COPY_LENGTHS.join(', ')} symbols; got ${length}.`);
  const minimum = copyMinimumTimeSteps(length);
  if (timeSteps < minimum) {
    throw new DataError(`The copy task with ${length} symbol${length === 1 ? '' : 's'} needs a sequence length of at least ${minimum} (the symbols, a blank, the marker, the symbols again); got ${timeSteps}.`);
  }
  if (vocabulary) requireCovered(COPY_VOCABULARY.characters.join(''), vocabulary, 'The copy task');
  const words = vocabulary ?? COPY_VOCABULARY;
  const recallPositions: number[] = [];
  for (let t = timeSteps - length; t < timeSteps; t++) for (let b = 0; b < batchSize; b++) recallPositions.push(t * batchSize + b);
  const gap = timeSteps - 2 * length;
  return {
    kind: 'copy-memory',
    vocabulary: words,
    timeSteps,
    batchSize,
    // A fresh batch every step: the seed is the step index.
    trainingBatch: (index) => copyBatch(timeSteps, batchSize, length, index + 1, words),
    validationBatches: [copyBatch(timeSteps, batchSize, length, COPY_VALIDATION_SEED, words)],
    recallPositions,
    references: [
      uniformReference(words),
      { loss: copyLossFloor(timeSteps, length, 'none'), label: 'layout learnt, symbols guessed' },
      { loss: copyLossFloor(timeSteps, length, 'all'), label: 'perfect recall' },
    ],
    defaultPrime: copySequence(timeSteps, length, seededRandom(COPY_VALIDATION_SEED + 1)).slice(0, length),
    sampleLength: timeSteps + 1 - length,
    description:
      `copy ${length} symbol${length === 1 ? '' : 's'} across ${gap} blank${gap === 1 ? '' : 's'} ` +
      `(each comes back ${timeSteps - length} steps after it was read); fresh random sequences every step`,
  };
}
