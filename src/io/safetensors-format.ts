/**
 * The safetensors format's shared parts for the reader (safetensors-decode.ts) and the
 * writer (safetensors.ts): the types, the dtypes read and written, the framing
 * constants, shape checks, the byte order, and the wording of a SafetensorsError.
 */

export type SafetensorsDtype = 'F32' | 'F64' | 'I32';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

type TypedArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;

export const DTYPES: Record<SafetensorsDtype, { bytesPerElement: number; arrayType: TypedArrayConstructor }> = {
  F32: { bytesPerElement: 4, arrayType: Float32Array },
  F64: { bytesPerElement: 8, arrayType: Float64Array },
  I32: { bytesPerElement: 4, arrayType: Int32Array },
};
export const SUPPORTED_DTYPES = Object.keys(DTYPES) as SafetensorsDtype[];
export const SUPPORTED_LIST = SUPPORTED_DTYPES.join(', ');

export const LENGTH_PREFIX_BYTES = 8;
export const METADATA_KEY = '__metadata__';
/** The reference library refuses headers above 100 MB. */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function fail(message: string): never {
  throw new SafetensorsError(message);
}

/** shape must be an array of non-negative integers; returns the element count (1 for a scalar, shape []). */
export function checkShape(shape: unknown, where: (problem: string) => string): number {
  if (!Array.isArray(shape)) fail(where(`shape is ${describe(shape)}, expected an array of non-negative integers`));
  let elements = 1;
  for (let i = 0; i < shape.length; i++) {
    if (!isNonNegativeInteger(shape[i])) fail(where(`shape[${i}] is ${describe(shape[i])}, expected a non-negative integer`));
    elements *= shape[i] as number;
  }
  if (shape.includes(0)) return 0; // also when the other dimensions overflow
  if (!Number.isSafeInteger(elements)) fail(where(`shape ${formatShape(shape as number[])} has too many elements (${elements})`));
  return elements;
}

/** Copies little-endian elements to or from host order (a byte swap only on big-endian hosts). */
export function copyLittleEndian(source: Uint8Array, target: Uint8Array, bytesPerElement: number): void {
  target.set(source);
  if (HOST_IS_LITTLE_ENDIAN) return;
  for (let i = 0; i < target.length; i += bytesPerElement) target.subarray(i, i + bytesPerElement).reverse();
}

/** Assigns as an own property, so that a name such as "__proto__" is a key and not the prototype. */
export function defineOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isJsonObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** "Float32Array" etc., also for arrays from another realm; undefined for anything else. */
export function typedArrayName(value: unknown): string | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  return (value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  const arrayName = typedArrayName(value);
  if (arrayName !== undefined) return `${/^[AEIO]/.test(arrayName) ? 'an' : 'a'} ${arrayName} of length ${(value as ArrayLike<number>).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

export function formatShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}
