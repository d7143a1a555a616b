/**
 * Data handling that training needs besides batching: a train/validation split
 * of a text, and a seeded shuffle (for classification data, where the order of
 * examples is free).
 */
import { seededRandom } from '../model/random.ts';
import { describeValue, InvalidArgumentError, requireInRange } from '../validation.ts';

/** The first (1 − fraction) of the text for training, the rest for validation (as char-rnn splits). */
export function splitText(text: string, validationFraction: number): { training: string; validation: string } {
  if (typeof text !== 'string') throw new InvalidArgumentError('text', `got ${describeValue(text)}, expected a string`);
  requireInRange('validationFraction', validationFraction, 0, 1);
  const characters = Array.from(text);
  const cut = Math.round(characters.length * (1 - validationFraction));
  if (cut === 0) throw new InvalidArgumentError('validationFraction', `leaves no training text out of ${characters.length} characters`);
  return { training: characters.slice(0, cut).join(''), validation: characters.slice(cut).join('') };
}

/** A permutation of 0..count−1 from `seed` (Fisher–Yates): the same seed gives the same order. */
export function shuffledOrder(count: number, seed: number): Uint32Array {
  if (!Number.isSafeInteger(count) || count < 0 || count > 2 ** 32) throw new InvalidArgumentError('count', `got ${describeValue(count)}, expected an integer in [0, 2^32]`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InvalidArgumentError('seed', `got ${describeValue(seed)}, expected an integer in [0, 2^32)`);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
