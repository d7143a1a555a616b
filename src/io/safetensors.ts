/**
 * Safetensors reader and writer for F32, F64 and I32 tensors, in the browser and in Node:
 * the writer here, the reader in safetensors-decode.ts, their shared parts in
 * safetensors-format.ts.
 *
 * The format (huggingface/safetensors):
 *   bytes 0..8          N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N        the header: UTF-8 JSON, optionally padded with trailing spaces,
 *                         { "__metadata__": { string: string },            (optional)
 *                           "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
 *   bytes 8+N..         the data section; each tensor occupies data_offsets[0]..data_offsets[1]
 *                       of it, little-endian, row-major. The tensors cover the data section
 *                       exactly: no gaps, no overlaps, no trailing bytes.
 *
 * Every problem with a file or with the tensors to write throws a SafetensorsError that
 * says what is wrong, where (tensor and field), what was found and what was expected.
 */
import {
  checkShape,
  copyLittleEndian,
  DEFAULT_MAX_HEADER_BYTES,
  describe,
  DTYPES,
  fail,
  formatShape,
  isJsonObject,
  LENGTH_PREFIX_BYTES,
  METADATA_KEY,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensor,
  SUPPORTED_DTYPES,
  SUPPORTED_LIST,
  typedArrayName,
} from './safetensors-format.ts';

export { decodeSafetensors } from './safetensors-decode.ts';
export { type SafetensorsDtype, SafetensorsError, type SafetensorsFile, type SafetensorsTensor } from './safetensors-format.ts';

const HEADER_ALIGNMENT = 8;
const SPACE = 0x20;

/** Serializes tensors (in the order given) and metadata; header padded with spaces to a multiple of 8 bytes (as the Python library does) so the data is aligned. */
export function encodeSafetensors(file: SafetensorsFile): Uint8Array {
  if (!isJsonObject(file)) fail(`cannot encode ${describe(file)}: expected { tensors, metadata }`);
  for (const key of Object.keys(file)) if (key !== 'tensors' && key !== 'metadata') fail(`cannot encode: unknown field '${key}'; expected { tensors, metadata }`);
  if (!isJsonObject(file.tensors)) fail(`cannot encode: tensors must be an object mapping names to tensors, found ${describe(file.tensors)}`);
  if (!isJsonObject(file.metadata)) fail(`cannot encode: metadata must be an object mapping strings to strings, found ${describe(file.metadata)}`);

  const headerEntries: string[] = [];
  const metadataEntries = Object.entries(file.metadata);
  for (const [key, value] of metadataEntries) {
    if (typeof value !== 'string') fail(`cannot encode: metadata['${key}'] is ${describe(value)}, expected a string`);
  }
  // Like the reference writer, an empty metadata object is left out of the header.
  if (metadataEntries.length > 0) headerEntries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(Object.fromEntries(metadataEntries))}`);

  const tensors = Object.entries(file.tensors).map(([name, tensor]) => checkTensorToEncode(name, tensor));
  let dataBytes = 0;
  for (const { name, dtype, shape, bytes } of tensors) {
    const begin = dataBytes;
    dataBytes += bytes.byteLength;
    headerEntries.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${dataBytes}]}`);
  }

  const header = new TextEncoder().encode(`{${headerEntries.join(',')}}`);
  const headerBytes = Math.ceil(header.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  if (headerBytes > DEFAULT_MAX_HEADER_BYTES) {
    fail(`cannot encode: the header would be ${headerBytes} bytes, above the ${DEFAULT_MAX_HEADER_BYTES} bytes that safetensors readers accept`);
  }

  const out = new Uint8Array(LENGTH_PREFIX_BYTES + headerBytes + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(header, LENGTH_PREFIX_BYTES);
  out.fill(SPACE, LENGTH_PREFIX_BYTES + header.length, LENGTH_PREFIX_BYTES + headerBytes);
  let offset = LENGTH_PREFIX_BYTES + headerBytes;
  for (const { dtype, bytes } of tensors) {
    copyLittleEndian(bytes, out.subarray(offset, offset + bytes.byteLength), DTYPES[dtype].bytesPerElement);
    offset += bytes.byteLength;
  }
  return out;
}

function checkTensorToEncode(name: string, tensor: unknown): { name: string; dtype: SafetensorsDtype; shape: number[]; bytes: Uint8Array } {
  if (name === '') fail('cannot encode: a tensor name is empty');
  if (name === METADATA_KEY) fail(`cannot encode: '${METADATA_KEY}' is reserved for the metadata and cannot name a tensor`);
  const where = `cannot encode tensor '${name}'`;
  if (!isJsonObject(tensor)) fail(`${where}: expected { dtype, shape, data }, found ${describe(tensor)}`);
  const { dtype, shape, data } = tensor as Partial<SafetensorsTensor>;
  if (typeof dtype !== 'string' || !(SUPPORTED_DTYPES as string[]).includes(dtype)) {
    fail(`${where}: dtype is ${describe(dtype)}, expected one of ${SUPPORTED_LIST}`);
  }
  const elements = checkShape(shape, (problem) => `${where}: ${problem}`);
  const arrayName = DTYPES[dtype as SafetensorsDtype].arrayType.name;
  if (typedArrayName(data) !== arrayName) fail(`${where}: data is ${describe(data)}, but dtype ${dtype} needs a ${arrayName}`);
  const array = data as Float32Array | Float64Array | Int32Array;
  if (array.length !== elements) {
    fail(`${where}: data has ${array.length} elements, but shape ${formatShape(shape as number[])} has ${elements}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}
