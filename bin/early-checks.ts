/**
 * Checks of the CLI's inputs that must come before the first training step, so that
 * nothing trains (and no checkpoint is written) only to be refused at the end: the
 * corpus is a readable text file, and the sampling options (--length, --temperature,
 * --prime) are valid for the vocabulary.
 */
import { readFileSync, statSync } from 'node:fs';
import type { CharacterVocabulary } from '../src/index.ts';
import { TEMPERATURE_MIN } from '../src/model/options.ts';
import { SIZE_LIMITS } from '../src/model/size-limits.ts';
import { textFromBytes } from '../src/text/corpus-text.ts';
import { FLOAT32_MAX } from '../src/validation.ts';

/** The text of --corpus: a file (not a directory) of UTF-8 text. */
export function readCorpusText(path: string): string {
  const stats = statSync(path);
  if (stats.isDirectory()) throw new Error(`--corpus: ${path} is a directory, expected a text file (concatenate its files into one)`);
  if (!stats.isFile()) throw new Error(`--corpus: ${path} is not a regular file, expected a text file`);
  try {
    return textFromBytes('--corpus', readFileSync(path));
  } catch (error) {
    throw new Error(`--corpus: ${path} ${(error as Error).message.replace(/^--corpus: /, '')}`);
  }
}

/** --length: characters to sample, from 1 to generate()'s stated maximum. */
export function sampleLengthOf(text: string): number {
  const length = Number(text);
  if (!Number.isInteger(length) || length < 1 || length > SIZE_LIMITS.generateLength) {
    throw new Error(`--length: got ${JSON.stringify(text)}, expected an integer from 1 to ${SIZE_LIMITS.generateLength}`);
  }
  return length;
}

/** --temperature: from the stated minimum to the float32 maximum. */
export function temperatureOf(text: string): number {
  const temperature = Number(text);
  if (!(temperature >= TEMPERATURE_MIN && temperature <= FLOAT32_MAX)) {
    throw new Error(`--temperature: got ${JSON.stringify(text)}, expected a number from ${TEMPERATURE_MIN} to ${FLOAT32_MAX} (for greedy sampling use --top-k 1)`);
  }
  return temperature;
}

/** --prime: every character must be in the vocabulary the model is trained on. */
export function checkPrime(prime: string, vocabulary: CharacterVocabulary): void {
  const unknown = Array.from(prime).find((character) => !vocabulary.characters.includes(character));
  if (prime.length === 0) throw new Error('--prime: empty, expected at least one character');
  if (unknown !== undefined) {
    throw new Error(`--prime: character ${JSON.stringify(unknown)} is not in the model's vocabulary of ${vocabulary.size} characters (those of its corpus); choose a prime made of them`);
  }
}
