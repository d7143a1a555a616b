/**
 * Argument checks for the public API. Each failure throws an InvalidArgumentError
 * that names the argument, what was given and what was expected, before any GPU work.
 */
export class InvalidArgumentError extends Error {
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/**
 * A value as a message shows it, its type visible: 1 (a number), "1" (a string), null,
 * undefined, a Map of 2 entries, a Promise, an object with keys a, b, a Float32Array of length 3.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  if (typeof value === 'symbol') return `the symbol ${String(value.description ?? '')}`;
  if (typeof value === 'function') return value.name ? `the function ${value.name}` : 'a function';
  if (value instanceof DataView) return `a DataView of ${value.byteLength} bytes`;
  if (ArrayBuffer.isView(value)) return `${article(value.constructor.name)} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof Map || value instanceof Set) return `a ${value.constructor === Map ? 'Map' : 'Set'} of ${value.size} entr${value.size === 1 ? 'y' : 'ies'}`;
  if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise';
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    const keys = Object.keys(value as object);
    if (keys.length === 0) return 'an empty object';
    return `an object with key${keys.length > 1 ? 's' : ''} ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
  }
  const name = (prototype as { constructor?: { name?: string } }).constructor?.name;
  return name ? article(name) : 'an object';
}

/** "a Float32Array", "an Int32Array", "an RnnModel". */
function article(name: string): string {
  return `${/^[AEIOR]/.test(name) ? 'an' : 'a'} ${name}`;
}

/** An object literal (or one with a null prototype): not an array, Map, typed array, Promise or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** An integer ≥ 1, and ≤ `maximum` when one is stated. */
export function requirePositiveInteger(argument: string, value: unknown, maximum = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maximum) {
    const bound = maximum < Number.MAX_SAFE_INTEGER ? ` up to ${maximum} (the stated maximum)` : '';
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a positive integer${bound}`);
  }
  return value;
}

export function requirePositiveNumber(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a finite number above 0`);
  }
  return value;
}

/** A number in [low, high). */
export function requireInRange(argument: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value >= high) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a number in [${low}, ${high})`);
  }
  return value;
}

export function requireOneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function requireArrayLike(argument: string, value: unknown): ArrayLike<number> {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected an array or typed array of numbers`);
  }
  return value as ArrayLike<number>;
}

/** An array-like of exactly `length` elements. */
export function requireLength(argument: string, value: unknown, length: number, lengthMeaning: string): ArrayLike<number> {
  const array = requireArrayLike(argument, value);
  if (array.length !== length) {
    throw new InvalidArgumentError(argument, `got length ${array.length}, expected ${length} (${lengthMeaning})`);
  }
  return array;
}

/** Integers in [0, bound), packed as Uint32Array. */
export function requireIndices(argument: string, value: unknown, length: number, lengthMeaning: string, bound: number, boundMeaning: string): Uint32Array {
  const array = requireLength(argument, value, length, lengthMeaning);
  const indices = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const index = array[i];
    if (!Number.isInteger(index) || index < 0 || index >= bound) {
      throw new InvalidArgumentError(argument, `element ${i} is ${describeValue(index)}, expected an integer in [0, ${bound}) (${boundMeaning})`);
    }
    indices[i] = index;
  }
  return indices;
}

/** Numbers that stay finite as float32 (|x| ≤ FLOAT32_MAX after rounding), packed as Float32Array. */
export function requireFiniteFloats(argument: string, value: unknown, length: number, lengthMeaning: string): Float32Array {
  const array = requireLength(argument, value, length, lengthMeaning);
  const floats = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const number = array[i];
    if (typeof number === 'number') floats[i] = number;
    if (typeof number !== 'number' || !Number.isFinite(floats[i])) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} is ${describeValue(number)}, expected a finite number within the float32 range ±${FLOAT32_MAX_TEXT} (the GPU computes in float32)`,
      );
    }
  }
  return floats;
}

// ---------------------------------------------------------------------------------------
// The float32 range: every number that reaches the GPU is a float32 there.

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The smallest positive normal float32, 2⁻¹²⁶; below it values lose precision or flush to zero. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT32_MAX_TEXT = '3.4028235e38';
const FLOAT32_MIN_NORMAL_TEXT = '1.1754944e-38';

/** An interval of allowed values; `text` overrides how its ends are written in messages. */
export interface Float32Interval {
  low: number;
  high: number;
  lowOpen?: boolean;
  highOpen?: boolean;
  /** What the range means, appended to the message (e.g. 'a positive normal float32'). */
  meaning?: string;
}

/** A positive number that is a normal float32: [2⁻¹²⁶, FLOAT32_MAX]. */
export const POSITIVE_FLOAT32: Float32Interval = { low: FLOAT32_MIN_NORMAL, high: FLOAT32_MAX, meaning: 'a positive normal float32' };
/** Zero or a positive float32: [0, FLOAT32_MAX]. */
export const NON_NEGATIVE_FLOAT32: Float32Interval = { low: 0, high: FLOAT32_MAX, meaning: 'a finite float32 ≥ 0' };
/** [0, 1) also after rounding to float32 (0.9999999999 rounds to 1). */
export const UNIT_INTERVAL_FLOAT32: Float32Interval = { low: 0, high: 1, highOpen: true, meaning: 'below 1 also as float32' };

function boundText(value: number): string {
  if (value === FLOAT32_MAX) return FLOAT32_MAX_TEXT;
  if (value === FLOAT32_MIN_NORMAL) return FLOAT32_MIN_NORMAL_TEXT;
  return String(value);
}

export function describeInterval(interval: Float32Interval): string {
  return `${interval.lowOpen ? '(' : '['}${boundText(interval.low)}, ${boundText(interval.high)}${interval.highOpen ? ')' : ']'}`;
}

function inInterval(value: number, interval: Float32Interval): boolean {
  const aboveLow = interval.lowOpen ? value > interval.low : value >= interval.low;
  const belowHigh = interval.highOpen ? value < interval.high : value <= interval.high;
  return aboveLow && belowHigh;
}

/**
 * A number bound for the GPU: in `interval` both as given and after rounding to
 * float32 (so 1e39 is refused, as is a beta of 0.9999999999 that becomes 1).
 */
export function requireFloat32(argument: string, value: unknown, interval: Float32Interval): number {
  const rounded = typeof value === 'number' ? Math.fround(value) : Number.NaN;
  // As float32 it must stay finite, below an open upper end, and a normal number when the range excludes 0.
  const survivesRounding =
    Number.isFinite(rounded) &&
    (!interval.highOpen || rounded < interval.high) &&
    (!interval.lowOpen || rounded > interval.low) &&
    (interval.low <= 0 || rounded >= FLOAT32_MIN_NORMAL);
  if (typeof value !== 'number' || !Number.isFinite(value) || !inInterval(value, interval) || !survivesRounding) {
    const roundedNote = typeof value === 'number' && Number.isFinite(value) && inInterval(value, interval) ? ` (${rounded} as float32)` : '';
    throw new InvalidArgumentError(
      argument,
      `got ${describeValue(value)}${roundedNote}, expected a number in ${describeInterval(interval)}${interval.meaning ? ` (${interval.meaning})` : ''}`,
    );
  }
  return value;
}

/** Rejects option names the function does not know (a typo would otherwise be silently ignored), naming the nearest known one. */
export function rejectUnknownKeys(argument: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const nearest = nearestName(key, known);
      throw new InvalidArgumentError(
        `${argument}.${key}`,
        `unknown option; ${nearest === undefined ? 'expected' : `did you mean '${nearest}'? Expected`} one of ${known.join(', ')}`,
      );
    }
  }
}

/**
 * An options object: undefined (when `optional`, giving {}), or a plain object whose
 * keys are all known. A Promise, Map, array, class instance or null is refused.
 */
export function requireOptions(argument: string, value: unknown, known: readonly string[], optional: boolean): Record<string, unknown> {
  if (value === undefined && optional) return {};
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected ${optional ? 'nothing or ' : ''}an object with ${known.join(', ')}`);
  }
  rejectUnknownKeys(argument, value as object, known);
  return value as Record<string, unknown>;
}

/** Names other libraries give options that have another name here (PyTorch's, Keras', snake_case). */
const NAMES_ELSEWHERE: Readonly<Record<string, string>> = {
  lr: 'learningRate',
  learning_rate: 'learningRate',
  weight_decay: 'weightDecay',
  hidden_size: 'hiddenSize',
  num_layers: 'layers',
  input_size: 'inputSize',
  vocab_size: 'vocabularySize',
  vocabsize: 'vocabularySize',
  units: 'hiddenSize',
  prime: 'primeTokens',
  max_norm: 'clipGradientNorm',
  clipnorm: 'clipGradientNorm',
  top_k: 'topK',
};

/** The known name closest to `name` (a typo, different case or British spelling, or another library's name for it), if any is close. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lowerCase = name.toLowerCase();
  if (Object.hasOwn(NAMES_ELSEWHERE, lowerCase) && known.includes(NAMES_ELSEWHERE[lowerCase])) return NAMES_ELSEWHERE[lowerCase];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}
