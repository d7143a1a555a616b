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

export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
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

/** Integers in [0, bound), packed as Uint32Array. */
export function requireIndices(argument: string, value: unknown, length: number, lengthMeaning: string, bound: number, boundMeaning: string): Uint32Array {
  const array = requireArrayLike(argument, value);
  if (array.length !== length) {
    throw new InvalidArgumentError(argument, `got length ${array.length}, expected ${length} (${lengthMeaning})`);
  }
  const indices = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const index = array[i];
    if (!Number.isInteger(index) || index < 0 || index >= bound) {
      throw new InvalidArgumentError(argument, `element ${i} is ${index}, expected an integer in [0, ${bound}) (${boundMeaning})`);
    }
    indices[i] = index;
  }
  return indices;
}

/** Numbers that stay finite as float32 (|x| ≤ FLOAT32_MAX after rounding), packed as Float32Array. */
export function requireFiniteFloats(argument: string, value: unknown, length: number, lengthMeaning: string): Float32Array {
  const array = requireArrayLike(argument, value);
  if (array.length !== length) {
    throw new InvalidArgumentError(argument, `got length ${array.length}, expected ${length} (${lengthMeaning})`);
  }
  const floats = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const number = array[i];
    floats[i] = number;
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

/** Rejects option names the function does not know (a typo would otherwise be silently ignored). */
export function rejectUnknownKeys(argument: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option; expected one of ${known.join(', ')}`);
    }
  }
}
