/**
 * Safetensors reader and writer: round trips bit for bit, matches byte layouts written
 * by hand from the format's spec, rejects every malformed file with a SafetensorsError
 * that says what is wrong, and never throws anything else on damaged input.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsTensor,
} from '../src/io/safetensors.ts';
import { seededRandom } from './random.ts';

// ---------------------------------------------------------------------------------------
// Building files byte by byte

type Part = string | number[] | Uint8Array;

function concat(...parts: Part[]): Uint8Array {
  const arrays = parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** The 8-byte little-endian length prefix. */
function u64(value: number | bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}

/** A file from a header written as JSON text (unpadded unless `padTo8`) and raw data bytes. */
function fileFrom(header: string, data: Part = [], padTo8 = false): Uint8Array {
  let text = header;
  if (padTo8) while (new TextEncoder().encode(text).length % 8 !== 0) text += ' ';
  return concat(u64(new TextEncoder().encode(text).length), text, data);
}

/** A file with one entry per tensor, data zero-filled to `dataBytes`. */
function fileWithEntries(entries: Record<string, unknown>, dataBytes: number): Uint8Array {
  return fileFrom(JSON.stringify(entries), new Uint8Array(dataBytes));
}

function bitsOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function f32Bits(...words: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(words).buffer);
}

function f64Bits(...words: bigint[]): Float64Array {
  return new Float64Array(BigUint64Array.from(words).buffer);
}

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Asserts a SafetensorsError whose message contains every fragment; returns the message. */
function expectSafetensorsError(action: () => unknown, ...fragments: string[]): string {
  const error = catchError(action);
  expect(error, 'expected a SafetensorsError').toBeInstanceOf(SafetensorsError);
  const { message, name } = error as SafetensorsError;
  expect(name).toBe('SafetensorsError');
  for (const fragment of fragments) expect(message, `message: ${message}`).toContain(fragment);
  return message;
}

function expectDecodeError(bytes: Uint8Array, ...fragments: string[]): string {
  return expectSafetensorsError(() => decodeSafetensors(bytes), ...fragments);
}

function expectSameTensors(got: SafetensorsFile, want: SafetensorsFile): void {
  expect(Object.keys(got.tensors)).toEqual(Object.keys(want.tensors));
  for (const [name, tensor] of Object.entries(want.tensors)) {
    const back = got.tensors[name];
    expect(back.dtype, name).toBe(tensor.dtype);
    expect(back.shape, name).toEqual(tensor.shape);
    expect(back.data.constructor, name).toBe(tensor.data.constructor);
    expect(bitsOf(back.data), `${name}: bits`).toEqual(bitsOf(tensor.data));
  }
  expect(got.metadata).toEqual(want.metadata);
}

// ---------------------------------------------------------------------------------------

describe('safetensors round trip', () => {
  const everyKind: SafetensorsFile = {
    tensors: {
      'layers.0.weight': {
        dtype: 'F32',
        shape: [2, 4],
        data: Float32Array.of(1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, 3.4028234663852886e38, -2.5),
      },
      // NaN with a payload and a negative NaN, as raw bits.
      'nan.payloads.f32': { dtype: 'F32', shape: [3], data: f32Bits(0x7fc00001, 0xffc00000, 0x7f800001) },
      'layers.0.bias': { dtype: 'F64', shape: [6], data: Float64Array.of(-0, Number.NaN, Infinity, -Infinity, 5e-324, Math.PI) },
      'nan.payloads.f64': { dtype: 'F64', shape: [2], data: f64Bits(0x7ff8000000000001n, 0xfff8000000000000n) },
      tokens: { dtype: 'I32', shape: [3, 1, 2], data: Int32Array.of(-2147483648, 2147483647, 0, -1, 65, 7) },
      loss: { dtype: 'F32', shape: [], data: Float32Array.of(2.25) },
      step: { dtype: 'I32', shape: [], data: Int32Array.of(-42) },
      learningRate: { dtype: 'F64', shape: [], data: Float64Array.of(0.001) },
      'empty.f32': { dtype: 'F32', shape: [3, 0, 2], data: new Float32Array(0) },
      'empty.f64': { dtype: 'F64', shape: [0, 5], data: new Float64Array(0) },
      'empty.i32': { dtype: 'I32', shape: [0], data: new Int32Array(0) },
      'эмбеддинг.вес ✓': { dtype: 'F64', shape: [1, 1, 1], data: Float64Array.of(-1e300) },
    },
    metadata: { format: 'pt', note: 'ünïcödé ✓ "quoted" \\ back\nslash\ttab', empty: '' },
  };

  it('gives back every dtype, scalars and empty tensors bit for bit, with the metadata, in order', () => {
    const bytes = encodeSafetensors(everyKind);
    const back = decodeSafetensors(bytes);
    expectSameTensors(back, everyKind);
    expect(Object.is(back.tensors['layers.0.weight'].data[1], -0)).toBe(true);
    expect(Object.is(back.tensors['layers.0.bias'].data[0], -0)).toBe(true);
  });

  it('is byte-for-byte stable: encode → decode → encode gives identical bytes', () => {
    const bytes = encodeSafetensors(everyKind);
    const again = encodeSafetensors(decodeSafetensors(bytes));
    expect(again).toEqual(bytes);
  });

  it('pads the header with spaces to a multiple of 8 so the data section is 8-byte aligned', () => {
    for (let nameLength = 1; nameLength <= 17; nameLength++) {
      const bytes = encodeSafetensors({ tensors: { ['n'.repeat(nameLength)]: { dtype: 'F64', shape: [1], data: Float64Array.of(1) } }, metadata: {} });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8, `name length ${nameLength}`).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(header).toMatch(/^\{.*\} {0,7}$/);
      expect(bytes.length).toBe(8 + headerLength + 8);
    }
  });

  it('copies into fresh, aligned arrays, also from a file at an odd offset inside a larger buffer', () => {
    const file = encodeSafetensors(everyKind);
    const host = new Uint8Array(file.length + 7).fill(0xee);
    host.set(file, 3);
    const view = host.subarray(3, 3 + file.length);
    const back = decodeSafetensors(view);
    expectSameTensors(back, everyKind);
    for (const tensor of Object.values(back.tensors)) {
      expect(tensor.data.buffer).not.toBe(host.buffer);
      expect(tensor.data.byteOffset).toBe(0);
    }
    // A view one byte short must not read the host's following byte.
    expectSafetensorsError(() => decodeSafetensors(host.subarray(3, 2 + file.length)), 'truncated');
  });

  it('encodes from typed-array views with an offset, and does not keep references to the input', () => {
    const backing = Float32Array.of(9, 1, 2, 3, 9);
    const tensors = { x: { dtype: 'F32', shape: [3], data: backing.subarray(1, 4) } satisfies SafetensorsTensor };
    const back = decodeSafetensors(encodeSafetensors({ tensors, metadata: {} }));
    expect(Array.from(back.tensors.x.data)).toEqual([1, 2, 3]);
  });

  it('keeps the given order of tensors, and a tensor or metadata key named __proto__ stays an ordinary key', () => {
    const file = fileFrom(
      '{"__metadata__":{"__proto__":"p"},"z":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"__proto__":{"dtype":"I32","shape":[],"data_offsets":[4,8]},"a":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}',
      concat(bitsOf(Int32Array.of(1, 2, 3))),
    );
    const back = decodeSafetensors(file);
    expect(Object.keys(back.tensors)).toEqual(['z', '__proto__', 'a']);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
    expect(Array.from(back.tensors['__proto__'].data)).toEqual([2]);
    expect(Object.keys(back.metadata)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back.metadata)).toBe(Object.prototype);
    expect(decodeSafetensors(encodeSafetensors(back))).toEqual(back);
  });

  it('writes and reads a file with no tensors and no metadata', () => {
    const bytes = encodeSafetensors({ tensors: {}, metadata: {} });
    expect(bytes).toEqual(concat(u64(8), '{}      '));
    expect(decodeSafetensors(bytes)).toEqual({ tensors: {}, metadata: {} });
  });
});

describe('safetensors byte layout, written by hand from the spec', () => {
  it('one F32 tensor x of shape [2] = [1, 2]: the encoder writes exactly these bytes, and they decode', () => {
    // {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes; 2 spaces pad it to 56.
    const expected = concat(
      [56, 0, 0, 0, 0, 0, 0, 0],
      '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ',
      [0x00, 0x00, 0x80, 0x3f], // 1.0f little-endian
      [0x00, 0x00, 0x00, 0x40], // 2.0f little-endian
    );
    expect(expected.length).toBe(8 + 56 + 8);
    const file: SafetensorsFile = { tensors: { x: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } }, metadata: {} };
    expect(encodeSafetensors(file)).toEqual(expected);
    expect(decodeSafetensors(expected)).toEqual(file);
  });

  it('metadata first, then tensors in order, with little-endian F64 and I32 and a scalar; data offsets back to back', () => {
    const header = '{"__metadata__":{"format":"pt","epoch":"3"},"w":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]},"s":{"dtype":"I32","shape":[],"data_offsets":[16,20]}}';
    expect(header.length).toBe(154); // padded with 6 spaces to 160
    const expected = concat(
      [160, 0, 0, 0, 0, 0, 0, 0],
      `${header}      `,
      [0, 0, 0, 0, 0, 0, 0xf8, 0x3f], // 1.5
      [0, 0, 0, 0, 0, 0, 0x00, 0xc0], // -2
      [0xfe, 0xff, 0xff, 0xff], // -2 as int32
    );
    const file: SafetensorsFile = {
      tensors: { w: { dtype: 'F64', shape: [1, 2], data: Float64Array.of(1.5, -2) }, s: { dtype: 'I32', shape: [], data: Int32Array.of(-2) } },
      metadata: { format: 'pt', epoch: '3' },
    };
    expect(encodeSafetensors(file)).toEqual(expected);
    expect(decodeSafetensors(expected)).toEqual(file);
  });

  it('bytes written by the Python library (safetensors 0.8.0, safetensors.numpy.save) decode, and the encoder reproduces them', () => {
    // save({"a": np.array([1, 2], np.float32), "b": np.array([[3]], np.float32)}, metadata={"format": "pt"})
    const fromPython = concat(
      [0x90, 0, 0, 0, 0, 0, 0, 0],
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}   ',
      [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40],
    );
    const file = decodeSafetensors(fromPython);
    expect(file).toEqual({
      tensors: { a: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }, b: { dtype: 'F32', shape: [1, 1], data: Float32Array.of(3) } },
      metadata: { format: 'pt' },
    });
    expect(encodeSafetensors(file)).toEqual(fromPython);
  });

  it("reads the reference library's documented example: an unpadded 60-byte header, I32 [2, 2]", () => {
    const bytes = concat([0x3c, 0, 0, 0, 0, 0, 0, 0], '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(16));
    const back = decodeSafetensors(bytes);
    expect(back.tensors.test.shape).toEqual([2, 2]);
    expect(back.tensors.test.data).toEqual(new Int32Array(4));
    expect(back.metadata).toEqual({});
  });

  it('accepts a header padded with many trailing spaces, whitespace inside the JSON, and tensors listed out of data order', () => {
    const header = '{ "b" : { "data_offsets" : [ 4 , 8 ] , "shape" : [ 1 ] , "dtype" : "F32" } ,\n "a" : {"dtype":"F32","shape":[1],"data_offsets":[0,4]} }' + ' '.repeat(21);
    const back = decodeSafetensors(fileFrom(header, concat(bitsOf(Float32Array.of(10, 20)))));
    expect(Object.keys(back.tensors)).toEqual(['b', 'a']);
    expect(Array.from(back.tensors.a.data)).toEqual([10]);
    expect(Array.from(back.tensors.b.data)).toEqual([20]);
  });

  it('accepts an explicit empty __metadata__ object and an F64 tensor at an offset that is not a multiple of 8', () => {
    const header = '{"__metadata__":{},"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}';
    const back = decodeSafetensors(fileFrom(header, concat(bitsOf(Int32Array.of(7)), bitsOf(Float64Array.of(0.1)))));
    expect(back.metadata).toEqual({});
    expect(back.tensors.d.data[0]).toBe(0.1);
    expect(back.tensors.i.data[0]).toBe(7);
  });
});

describe('safetensors decode errors', () => {
  const validHeader = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const valid = fileFrom(validHeader, new Uint8Array(8), true);

  it('a file shorter than the 8-byte length prefix', () => {
    expectDecodeError(new Uint8Array(5), 'not a safetensors file: 5 bytes, a safetensors file starts with an 8-byte header length');
    expectDecodeError(new Uint8Array(0), 'not a safetensors file: 0 bytes');
  });

  it('a header length beyond the end of the file', () => {
    expectDecodeError(concat(u64(1000), '{"x":1}   '), 'header length', '1000 bytes', 'only 10 bytes', 'truncated');
    expectDecodeError(new Uint8Array(8).fill(0xff), '18446744073709551615');
  });

  it('a header length above maxHeaderBytes (default 100 MB, as the reference library)', () => {
    expectDecodeError(concat(u64(200_000_000), '{}'), '200000000 bytes', 'limit of 100000000 bytes', 'maxHeaderBytes');
    expectSafetensorsError(() => decodeSafetensors(valid, { maxHeaderBytes: 16 }), '56 bytes', 'limit of 16 bytes');
    expect(decodeSafetensors(valid, { maxHeaderBytes: 56 }).tensors.x.shape).toEqual([2]);
    expectSafetensorsError(() => decodeSafetensors(valid, { maxHeaderBytes: 0 }), 'options.maxHeaderBytes', 'number 0', 'positive integer');
  });

  it('foreign files read as "not a safetensors file", naming what they look like', () => {
    const png = concat([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], 'IHDR', new Uint8Array(40));
    expectDecodeError(png, 'not a safetensors file', 'PNG');
    const zip = concat('PK', [3, 4, 20, 0, 0, 0], 'archive/data.pkl', new Uint8Array(64));
    expectDecodeError(zip, 'not a safetensors file', 'ZIP');
    expectDecodeError(concat('{"x":{"dtype":"F32"}}'), 'not a safetensors file', 'JSON text');
    expectDecodeError(concat('hello, world, this is text\n'), 'not a safetensors file', 'text file');
    expectDecodeError(concat([0x80, 0x02], 'cpickle data here'), 'not a safetensors file', 'pickle');
    expectDecodeError(concat([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), 'not a safetensors file', 'gzip');
  });

  it('a header that is not a JSON object', () => {
    expectDecodeError(fileFrom('[1, 2]  '), "not a safetensors file", "starting with '{'", "0x5b ('[')");
    expectDecodeError(fileFrom(' {}'), "starting with '{'", '0x20');
    expectDecodeError(concat(u64(0)), 'header length in the first 8 bytes is 0');
  });

  it('a header that is not valid UTF-8 names the offset', () => {
    expectDecodeError(concat(u64(8), [0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'not valid UTF-8', 'bytes 8..16', 'offset 11');
  });

  it('a header that is not valid JSON', () => {
    expectDecodeError(fileFrom('{"x": }'), 'header', 'not valid JSON');
    expectDecodeError(fileFrom('{"x":{}} trailing'), 'not valid JSON');
    expectDecodeError(fileFrom('{"x":{}'), 'not valid JSON');
  });

  it('a tensor entry that is not an object, or lacks a field', () => {
    expectDecodeError(fileFrom('{"w":5}'), "tensor 'w'", 'number 5');
    expectDecodeError(fileFrom('{"w":[1,2]}'), "tensor 'w'", 'an array of length 2');
    expectDecodeError(fileWithEntries({ w: { shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w' has no 'dtype' field", "'shape', 'data_offsets'");
    expectDecodeError(fileWithEntries({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), "tensor 'w' has no 'shape' field");
    expectDecodeError(fileWithEntries({ w: { dtype: 'F32', shape: [1] } }, 4), "tensor 'w' has no 'data_offsets' field");
  });

  it('a dtype of the wrong type, unknown, or official but not supported', () => {
    expectDecodeError(fileWithEntries({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w'", 'dtype is number 32', 'string');
    expectDecodeError(fileWithEntries({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w'", 'unknown dtype "F33"', 'supported: F32, F64, I32');
    expectDecodeError(fileWithEntries({ w: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, 4), 'unknown dtype "f32"');
    for (const dtype of ['F16', 'BF16', 'I64', 'I16', 'I8', 'U8', 'BOOL', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2']) {
      const message = expectDecodeError(
        fileWithEntries({ w: { dtype, shape: [1], data_offsets: [0, 4] } }, 4),
        `tensor 'w': dtype ${dtype} is a safetensors dtype not supported by this reader`,
        'supported: F32, F64, I32',
      );
      expect(message).not.toContain('unknown');
    }
  });

  it('a shape that is not an array of non-negative integers', () => {
    const withShape = (shape: unknown) => fileWithEntries({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, 4);
    expectDecodeError(withShape('2'), "tensor 'w'", 'shape is the string "2"', 'array of non-negative integers');
    expectDecodeError(withShape({ 0: 1 }), "tensor 'w'", 'shape is an object');
    expectDecodeError(withShape([1, -1]), "tensor 'w'", 'shape[1] is number -1', 'non-negative integer');
    expectDecodeError(withShape([1.5]), 'shape[0] is number 1.5');
    expectDecodeError(withShape(['1']), 'shape[0] is the string "1"');
    expectDecodeError(withShape([null]), 'shape[0] is null');
    expectDecodeError(withShape([1e300]), 'shape[0] is number 1e+300');
    expectDecodeError(withShape([2 ** 52, 2 ** 52]), 'too many elements');
  });

  it('data_offsets that are not [begin, end] integers with begin ≤ end', () => {
    const withOffsets = (data_offsets: unknown) => fileWithEntries({ w: { dtype: 'F32', shape: [1], data_offsets } }, 4);
    expectDecodeError(withOffsets(4), "tensor 'w'", 'data_offsets is number 4', '[begin, end]');
    expectDecodeError(withOffsets([0, 4, 8]), "tensor 'w'", 'data_offsets is an array of length 3');
    expectDecodeError(withOffsets([0]), 'data_offsets is an array of length 1');
    expectDecodeError(withOffsets([-4, 0]), "tensor 'w'", 'data_offsets[0] is number -4', 'non-negative integer');
    expectDecodeError(withOffsets([0, 4.5]), 'data_offsets[1] is number 4.5');
    expectDecodeError(withOffsets([0, '4']), 'data_offsets[1] is the string "4"');
    expectDecodeError(withOffsets([8, 4]), "tensor 'w'", 'data_offsets [8, 4]', 'begin ≤ end');
  });

  it('a byte length that is not the element count times the dtype size', () => {
    expectDecodeError(
      fileWithEntries({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      "tensor 'w'",
      'data_offsets [0, 8] span 8 bytes',
      'shape [3] of F32 needs 12 bytes (3 elements × 4 bytes)',
    );
    expectDecodeError(fileWithEntries({ d: { dtype: 'F64', shape: [2, 2], data_offsets: [0, 16] } }, 16), "tensor 'd'", 'needs 32 bytes');
    expectDecodeError(fileWithEntries({ e: { dtype: 'I32', shape: [0, 3], data_offsets: [0, 4] } }, 4), "tensor 'e'", 'needs 0 bytes');
  });

  it('a truncated file: a tensor beyond the end of the data section', () => {
    const entries = {
      bias: { dtype: 'F32', shape: [100], data_offsets: [0, 400] },
      weight: { dtype: 'F32', shape: [100], data_offsets: [400, 800] },
    };
    const message = expectDecodeError(fileWithEntries(entries, 512));
    expect(message).toBe("tensor 'weight' needs bytes 400..800 of the data section, but the file has only 512 data bytes — the file is truncated");
    // Cut one byte from a valid file: the last tensor no longer fits.
    expectDecodeError(valid.subarray(0, valid.length - 1), "tensor 'x' needs bytes 0..8", 'only 7 data bytes', 'truncated');
  });

  it('overlapping tensors, gaps and trailing bytes', () => {
    const f32 = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
    expectDecodeError(fileWithEntries({ a: f32(0, 8), b: f32(4, 12) }, 12), "tensors 'a' (bytes 0..8) and 'b' (bytes 4..12) overlap");
    expectDecodeError(fileWithEntries({ b: f32(0, 8), a: f32(0, 8) }, 8), 'overlap', '0..8');
    expectDecodeError(fileWithEntries({ a: f32(0, 8), e: f32(4, 4) }, 8), "'a' (bytes 0..8) and 'e' (bytes 4..4) overlap");
    expectDecodeError(fileWithEntries({ a: f32(0, 8), b: f32(12, 20) }, 20), 'gap in the data section: bytes 8..12', "between 'a' (ending at 8) and 'b'");
    expectDecodeError(fileWithEntries({ a: f32(4, 12) }, 12), 'gap in the data section: bytes 0..4 at the start', "'a' should begin at 0");
    expectDecodeError(fileWithEntries({ a: f32(0, 8) }, 12), '4 trailing bytes', 'bytes 8..12', "after the last tensor 'a'");
    expectDecodeError(fileFrom('{}', [1, 2, 3]), '3 trailing bytes', 'no tensors');
    expectDecodeError(fileFrom('{"__metadata__":{"a":"b"}}', [1]), '1 trailing bytes');
  });

  it('__metadata__ that is not an object of strings', () => {
    expectDecodeError(fileFrom('{"__metadata__":["a"]}'), '__metadata__ must be an object mapping strings to strings', 'an array of length 1');
    expectDecodeError(fileFrom('{"__metadata__":null}'), '__metadata__', 'null');
    expectDecodeError(fileFrom('{"__metadata__":"pt"}'), '__metadata__', 'the string "pt"');
    expectDecodeError(fileFrom('{"__metadata__":{"format":"pt","epoch":3}}'), "__metadata__['epoch'] is number 3", 'expected a string');
    expectDecodeError(fileFrom('{"__metadata__":{"nested":{"a":"b"}}}'), "__metadata__['nested'] is an object");
  });

  it('input that is not a Uint8Array (an ArrayBuffer is read as its bytes)', () => {
    expectSafetensorsError(() => decodeSafetensors(new DataView(new ArrayBuffer(16)) as unknown as Uint8Array), 'Uint8Array', 'object');
    expectSafetensorsError(() => decodeSafetensors(new ArrayBuffer(16)), 'the header length in the first 8 bytes is 0');
    const bytes = encodeSafetensors({ tensors: { w: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } }, metadata: {} });
    expect(decodeSafetensors(bytes.slice().buffer)).toEqual(decodeSafetensors(bytes));
    expectSafetensorsError(() => decodeSafetensors(new Int8Array(16) as unknown as Uint8Array), 'an Int8Array of length 16', 'Uint8Array');
  });
});

describe('safetensors encode errors', () => {
  const encodeOne = (tensor: unknown, name = 'w') => () => encodeSafetensors({ tensors: { [name]: tensor as SafetensorsTensor }, metadata: {} });

  it('data length must equal the product of the shape', () => {
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }), "tensor 'w'", 'data has 5 elements', 'shape [2, 3] has 6');
    expectSafetensorsError(encodeOne({ dtype: 'I32', shape: [], data: new Int32Array(0) }), 'data has 0 elements', 'shape [] has 1');
    expectSafetensorsError(encodeOne({ dtype: 'F64', shape: [0], data: new Float64Array(1) }), 'data has 1 elements', 'shape [0] has 0');
  });

  it('dtype must be supported and match the array type', () => {
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [2], data: new Float64Array(2) }), "tensor 'w'", 'a Float64Array of length 2', 'dtype F32 needs a Float32Array');
    expectSafetensorsError(encodeOne({ dtype: 'I32', shape: [2], data: new Uint32Array(2) }), 'Uint32Array', 'Int32Array');
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [2], data: [1, 2] }), 'data is an array of length 2', 'Float32Array');
    expectSafetensorsError(encodeOne({ dtype: 'F16', shape: [2], data: new Float32Array(2) }), "tensor 'w'", 'dtype is the string "F16"', 'expected one of F32, F64, I32');
    expectSafetensorsError(encodeOne({ shape: [2], data: new Float32Array(2) }), 'dtype is missing');
  });

  it('shape must be an array of non-negative integers', () => {
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [-1], data: new Float32Array(1) }), "tensor 'w'", 'shape[0] is number -1');
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: 2, data: new Float32Array(2) }), 'shape is number 2');
  });

  it('names must be non-empty and not __metadata__', () => {
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [], data: new Float32Array(1) }, ''), 'tensor name is empty');
    expectSafetensorsError(encodeOne({ dtype: 'F32', shape: [], data: new Float32Array(1) }, '__metadata__'), "'__metadata__' is reserved");
  });

  it('metadata values must be strings; tensors and metadata must be objects', () => {
    const tensors = { w: { dtype: 'F32', shape: [], data: new Float32Array(1) } } satisfies Record<string, SafetensorsTensor>;
    expectSafetensorsError(() => encodeSafetensors({ tensors, metadata: { epoch: 3 as unknown as string } }), "metadata['epoch'] is number 3", 'expected a string');
    expectSafetensorsError(() => encodeSafetensors({ tensors } as unknown as SafetensorsFile), 'metadata must be an object', 'missing');
    expectSafetensorsError(() => encodeSafetensors({ tensors: [], metadata: {} } as unknown as SafetensorsFile), 'tensors must be an object', 'an array');
    expectSafetensorsError(() => encodeSafetensors(null as unknown as SafetensorsFile), 'cannot encode null');
    expectSafetensorsError(encodeOne(Float32Array.of(1)), "tensor 'w'", 'expected { dtype, shape, data }', 'Float32Array');
  });
});

describe('safetensors damaged files (fuzz)', () => {
  const small = encodeSafetensors({
    tensors: {
      w: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -2, 3, -4) },
      b: { dtype: 'F64', shape: [2], data: Float64Array.of(0.5, -0.5) },
      n: { dtype: 'I32', shape: [], data: Int32Array.of(7) },
      e: { dtype: 'I32', shape: [0], data: new Int32Array(0) },
    },
    metadata: { format: 'pt' },
  });
  const headerEnd = 8 + Number(new DataView(small.buffer).getBigUint64(0, true));

  /** 'ok' or 'error'; fails the test on any exception other than SafetensorsError. */
  function outcome(bytes: Uint8Array, what: string): 'ok' | 'error' {
    try {
      decodeSafetensors(bytes);
      return 'ok';
    } catch (error) {
      if (!(error instanceof SafetensorsError)) throw new Error(`${what}: threw ${String(error)} instead of a SafetensorsError`);
      expect(error.message.length).toBeGreaterThan(0);
      return 'error';
    }
  }

  it('every truncation is rejected with a SafetensorsError', { timeout: 10_000 }, () => {
    expect(outcome(small, 'the intact file')).toBe('ok');
    for (let length = 0; length < small.length; length++) {
      expect(outcome(small.subarray(0, length), `truncated to ${length} bytes`), `truncated to ${length} of ${small.length} bytes`).toBe('error');
    }
  });

  it('changing any byte of the length prefix or header either decodes or throws a SafetensorsError', { timeout: 10_000 }, () => {
    const counts = { ok: 0, error: 0 };
    const replacements = (original: number) => [original ^ 0xff, original ^ 0x01, original ^ 0x80, 0x20, 0x22, 0x7d, 0x30, 0x39, 0x00];
    for (let position = 0; position < headerEnd; position++) {
      for (const value of replacements(small[position])) {
        const damaged = small.slice();
        damaged[position] = value;
        counts[outcome(damaged, `byte ${position} set to 0x${value.toString(16)}`)]++;
      }
    }
    expect(counts.error).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0); // e.g. a changed metadata value, or a space in the padding
  });

  it('random multi-byte damage, insertions and deletions either decode or throw a SafetensorsError', { timeout: 10_000 }, () => {
    const random = seededRandom(1234);
    const pick = (n: number) => Math.floor(random() * n);
    for (let trial = 0; trial < 3000; trial++) {
      let damaged: Uint8Array = small.slice();
      const edits = 1 + pick(4);
      for (let e = 0; e < edits; e++) {
        const position = pick(damaged.length);
        const kind = pick(3);
        if (kind === 0) damaged[position] = pick(256);
        else if (kind === 1) damaged = concat(damaged.subarray(0, position), [pick(256)], damaged.subarray(position));
        else damaged = concat(damaged.subarray(0, position), damaged.subarray(position + 1));
      }
      outcome(damaged, `trial ${trial}`);
    }
  });
});
