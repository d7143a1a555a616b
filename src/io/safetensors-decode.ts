/**
 * Reading a safetensors file (the format: safetensors.ts): the length prefix and the
 * header's framing, its JSON, each tensor's entry, and that the tensors tile the data
 * section exactly, before any data is copied. Every problem throws a SafetensorsError
 * saying what is wrong, where, what was found and what was expected; a file of another
 * format is recognised from its first bytes and named.
 */
import {
  checkShape,
  copyLittleEndian,
  DEFAULT_MAX_HEADER_BYTES,
  defineOwn,
  describe,
  DTYPES,
  fail,
  formatShape,
  isJsonObject,
  isNonNegativeInteger,
  LENGTH_PREFIX_BYTES,
  METADATA_KEY,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensor,
  SUPPORTED_DTYPES,
  SUPPORTED_LIST,
  typedArrayName,
} from './safetensors-format.ts';
import { firstInvalidUtf8Byte } from '../text/utf8.ts';

/** The reference library's other dtypes: valid safetensors, but not readable into our typed arrays. */
const OTHER_OFFICIAL_DTYPES: readonly string[] = [
  'BOOL', 'U8', 'I8', 'U16', 'I16', 'F16', 'BF16', 'U32', 'U64', 'I64', 'C64',
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4',
];

const OPEN_BRACE = 0x7b;

/**
 * Parses and validates; returns tensors in header order. Never reads out of bounds; copies data into fresh
 * typed arrays (aligned). The bytes may come as an ArrayBuffer too (what `file.arrayBuffer()` and `fetch` give).
 */
export function decodeSafetensors(file: Uint8Array | ArrayBuffer, options?: { maxHeaderBytes?: number /* default 100 MB */ }): SafetensorsFile {
  const bytes = Object.prototype.toString.call(file) === '[object ArrayBuffer]' ? new Uint8Array(file as ArrayBuffer) : (file as Uint8Array);
  if (typedArrayName(bytes) !== 'Uint8Array') fail(`cannot decode ${describe(bytes)}: expected the file's bytes as a Uint8Array or an ArrayBuffer`);
  if (options !== undefined) {
    if (!isJsonObject(options)) fail(`options is ${describe(options)}, expected nothing or { maxHeaderBytes }`);
    for (const key of Object.keys(options)) if (key !== 'maxHeaderBytes') fail(`options.${key} is not an option of decodeSafetensors; expected only maxHeaderBytes`);
  }
  const maxHeaderBytes = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 1) {
    fail(`options.maxHeaderBytes is ${describe(maxHeaderBytes)}, expected a positive integer`);
  }

  const { header, dataSection } = splitFile(bytes, maxHeaderBytes);
  const tensors: Record<string, SafetensorsTensor> = {};
  let metadata: Record<string, string> = {};
  const extents: TensorExtent[] = [];

  for (const key of Object.keys(header)) {
    if (key === METADATA_KEY) {
      metadata = readMetadata(header[key]);
    } else {
      const extent = readTensorEntry(key, header[key], dataSection.length);
      extents.push(extent);
    }
  }
  checkCoverage(extents, dataSection.length);

  for (const { name, dtype, shape, begin, end } of extents) {
    const { arrayType, bytesPerElement } = DTYPES[dtype];
    const data = new arrayType((end - begin) / bytesPerElement);
    copyLittleEndian(dataSection.subarray(begin, end), new Uint8Array(data.buffer), bytesPerElement);
    defineOwn(tensors, name, { dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Checks the length prefix and the header's framing; returns the parsed header object and the data section. */
function splitFile(bytes: Uint8Array, maxHeaderBytes: number): { header: Record<string, unknown>; dataSection: Uint8Array } {
  if (bytes.length < LENGTH_PREFIX_BYTES) {
    fail(`not a safetensors file: ${bytes.length} bytes, a safetensors file starts with an 8-byte header length`);
  }
  const foreign = recogniseForeignFormat(bytes);
  const notSafetensors = (problem: string): never =>
    fail(
      foreign === undefined
        ? problem
        : `not a safetensors file: it starts like ${foreign}; a safetensors file starts with an 8-byte little-endian header length ` +
            `and then a JSON header, but the first bytes are ${hexBytes(bytes.subarray(0, LENGTH_PREFIX_BYTES))}`,
    );

  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true);
  const afterPrefix = bytes.length - LENGTH_PREFIX_BYTES;
  if (headerLength > BigInt(maxHeaderBytes)) {
    notSafetensors(`the header length in the first 8 bytes is ${headerLength} bytes, above the limit of ${maxHeaderBytes} bytes (options.maxHeaderBytes); the file is corrupt or not a safetensors file`);
  }
  if (headerLength > BigInt(afterPrefix)) {
    notSafetensors(`the header length in the first 8 bytes is ${headerLength} bytes, but the file has only ${afterPrefix} bytes after them — the file is truncated or not a safetensors file`);
  }
  const headerEnd = LENGTH_PREFIX_BYTES + Number(headerLength);
  const headerBytes = bytes.subarray(LENGTH_PREFIX_BYTES, headerEnd);
  if (headerBytes.length === 0) notSafetensors('the header length in the first 8 bytes is 0, expected a JSON object');
  if (headerBytes[0] !== OPEN_BRACE) {
    notSafetensors(`not a safetensors file: the header (bytes 8..${headerEnd}) should be a JSON object starting with '{', but starts with ${describeByte(headerBytes[0])}`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    return fail(`the header (bytes 8..${headerEnd}) is not valid UTF-8${firstInvalidUtf8(headerBytes)}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`the header (bytes 8..${headerEnd}) is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(header)) fail(`the header must be a JSON object mapping tensor names to entries, found ${describe(header)}`);
  return { header: header as Record<string, unknown>, dataSection: bytes.subarray(headerEnd) };
}

function readMetadata(value: unknown): Record<string, string> {
  if (!isJsonObject(value)) fail(`${METADATA_KEY} must be an object mapping strings to strings, found ${describe(value)}`);
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== 'string') fail(`${METADATA_KEY}['${key}'] is ${describe(entry)}, expected a string`);
    defineOwn(metadata, key, entry);
  }
  return metadata;
}

interface TensorExtent {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function readTensorEntry(name: string, entry: unknown, dataBytes: number): TensorExtent {
  const where = `tensor '${name}'`;
  if (!isJsonObject(entry)) fail(`${where}: expected an entry { "dtype", "shape", "data_offsets" }, found ${describe(entry)}`);
  const fields = entry as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(fields, field)) fail(`${where} has no '${field}' field (it has ${describeKeys(fields)})`);
  }

  const dtype = fields.dtype;
  if (typeof dtype !== 'string') fail(`${where}: dtype is ${describe(dtype)}, expected a string such as "F32"`);
  if (!(SUPPORTED_DTYPES as string[]).includes(dtype)) {
    if (OTHER_OFFICIAL_DTYPES.includes(dtype)) {
      fail(`${where}: dtype ${dtype} is a safetensors dtype not supported by this reader (supported: ${SUPPORTED_LIST})`);
    }
    fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (supported: ${SUPPORTED_LIST})`);
  }
  const { bytesPerElement } = DTYPES[dtype as SafetensorsDtype];

  const elements = checkShape(fields.shape, (problem) => `${where}: ${problem}`);
  const shape = fields.shape as number[];

  const offsets = fields.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    fail(`${where}: data_offsets is ${describe(offsets)}, expected [begin, end]`);
  }
  for (let i = 0; i < 2; i++) {
    if (!isNonNegativeInteger(offsets[i])) fail(`${where}: data_offsets[${i}] is ${describe(offsets[i])}, expected a non-negative integer`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] begin after they end, expected begin ≤ end`);

  const expectedBytes = elements * bytesPerElement;
  if (end - begin !== expectedBytes) {
    fail(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape ${formatShape(shape)} of ${dtype} needs ${expectedBytes} bytes (${elements} elements × ${bytesPerElement} bytes)`);
  }
  if (end > dataBytes) {
    fail(`${where} needs bytes ${begin}..${end} of the data section, but the file has only ${dataBytes} data bytes — the file is truncated`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...shape], begin, end };
}

/** The tensors must tile the data section: sorted by offsets, each begins where the previous ends, and the last ends at its end. */
function checkCoverage(extents: TensorExtent[], dataBytes: number): void {
  const sorted = [...extents].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorExtent | undefined;
  for (const extent of sorted) {
    if (previous !== undefined && extent.begin < covered) {
      fail(`tensors '${previous.name}' (bytes ${previous.begin}..${previous.end}) and '${extent.name}' (bytes ${extent.begin}..${extent.end}) overlap in the data section`);
    }
    if (extent.begin > covered) {
      const before = previous === undefined ? 'at the start of the data section' : `between '${previous.name}' (ending at ${covered}) and '${extent.name}'`;
      fail(`gap in the data section: bytes ${covered}..${extent.begin} ${before} belong to no tensor; '${extent.name}' should begin at ${covered}`);
    }
    covered = extent.end;
    previous = extent;
  }
  if (covered < dataBytes) {
    const after = previous === undefined ? 'but the header lists no tensors' : `after the last tensor '${previous.name}' (ending at ${covered})`;
    fail(`${dataBytes - covered} trailing bytes in the data section (bytes ${covered}..${dataBytes}) ${after}`);
  }
}

function describeKeys(object: object): string {
  const keys = Object.keys(object);
  return keys.length === 0 ? 'no fields' : keys.map((key) => `'${key}'`).join(', ');
}

function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x20 && byte < 0x7f ? `${hex} ('${String.fromCharCode(byte)}')` : hex;
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

/** " (first bad byte near file offset K)". */
function firstInvalidUtf8(headerBytes: Uint8Array): string {
  return ` (first bad byte near file offset ${LENGTH_PREFIX_BYTES + firstInvalidUtf8Byte(headerBytes)})`;
}

/** What a file that is not safetensors looks like, from its first bytes. */
function recogniseForeignFormat(bytes: Uint8Array): string | undefined {
  const startsWith = (...prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
  const ascii = (text: string) => startsWith(...Array.from(text, (c) => c.charCodeAt(0)));
  if (startsWith(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'a PNG image';
  if (startsWith(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a)) return 'an HDF5 file (such as a Keras .h5 model)';
  if (ascii('PK\x03\x04') || ascii('PK\x05\x06')) return 'a ZIP archive (such as a PyTorch .pt/.pth checkpoint)';
  if (startsWith(0x1f, 0x8b)) return 'a gzip-compressed file';
  if (startsWith(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (ascii('GIF8')) return 'a GIF image';
  if (ascii('%PDF')) return 'a PDF document';
  if (ascii('GGUF')) return 'a GGUF model file';
  if (startsWith(0x93) && ascii('\x93NUMPY')) return 'a NumPy .npy file';
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'a Python pickle (such as a legacy PyTorch checkpoint)';
  if (bytes[0] === OPEN_BRACE || bytes[0] === 0x5b) return 'JSON text';
  const printable = bytes.subarray(0, LENGTH_PREFIX_BYTES).every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  if (printable) return 'a text file';
  return undefined;
}
