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

export function requirePositiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a positive integer`);
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
function requireLength(argument: string, value: unknown, length: number, lengthMeaning: string): ArrayLike<number> {
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
      throw new InvalidArgumentError(argument, `element ${i} is ${index}, expected an integer in [0, ${bound}) (${boundMeaning})`);
    }
    indices[i] = index;
  }
  return indices;
}

/** Finite numbers, packed as Float32Array. */
export function requireFiniteFloats(argument: string, value: unknown, length: number, lengthMeaning: string): Float32Array {
  const array = requireLength(argument, value, length, lengthMeaning);
  const floats = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const number = array[i];
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      throw new InvalidArgumentError(argument, `element ${i} is ${number}, expected a finite number`);
    }
    floats[i] = number;
  }
  return floats;
}

/** Rejects option names the function does not know (a typo would otherwise be silently ignored). */
export function rejectUnknownKeys(argument: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option; expected one of ${known.join(', ')}`);
    }
  }
}
