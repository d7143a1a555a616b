/**
 * A minimal protocol-buffers writer for ONNX files: just the messages and fields
 * an exported RNN needs, with field numbers from onnx/onnx.proto.
 *
 * Wire format (protobuf encoding): each field is a key varint (field_number << 3 | wire_type)
 * then its value:
 *   wire type 0  varint: 7 bits per byte, little-endian groups, high bit = "more follows"
 *   wire type 2  length-delimited: varint byte length, then the bytes (strings, bytes,
 *                embedded messages, packed repeated scalars)
 * Repeated fields repeat the key; a message is the concatenation of its fields.
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** ONNX TensorProto.DataType values. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
/** ONNX AttributeProto.AttributeType values. */
const AttributeType = { INT: 2, STRING: 3, INTS: 7, STRINGS: 8 } as const;

const utf8 = new TextEncoder();

/** Accumulates one message's fields. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private key(field: number, wireType: number): void {
    this.push(encodeVarint(field * 8 + wireType));
  }

  /** int32 / int64 / enum field. */
  varint(field: number, value: number): this {
    this.key(field, VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, value: MessageWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

/**
 * Base-128 varint of an integer in [−2^53, 2^53]. Negative int64 values are written
 * as their 64-bit two's complement (10 bytes), as protobuf writes int64.
 */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varint of ${value}: expected a safe integer`);
  let rest = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Uint8Array.from(bytes);
}

// --- ONNX messages (field numbers of onnx.proto) ---

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian, row-major). */
export function tensorProto(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): MessageWriter {
  const message = new MessageWriter();
  for (const dim of dims) message.varint(1, dim);
  message.varint(2, data instanceof Float32Array ? OnnxDataType.FLOAT : OnnxDataType.INT64);
  message.string(8, name);
  message.bytes(9, littleEndianBytes(data));
  return message;
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  if (data instanceof Float32Array) data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  else data.forEach((value, i) => view.setBigInt64(i * 8, value, true));
  return bytes;
}

/** A dimension: a fixed size, or a named symbolic one (e.g. 'time', 'batch'). */
export type OnnxDim = number | string;

/**
 * ValueInfoProto { name = 1, type = 2 } with TypeProto { tensor_type = 1 },
 * TypeProto.Tensor { elem_type = 1, shape = 2 }, TensorShapeProto { dim = 1 },
 * Dimension { dim_value = 1 | dim_param = 2 }.
 */
export function valueInfoProto(name: string, elementType: number, dims: readonly OnnxDim[]): MessageWriter {
  const shape = new MessageWriter();
  for (const dim of dims) shape.message(1, typeof dim === 'number' ? new MessageWriter().varint(1, dim) : new MessageWriter().string(2, dim));
  const tensorType = new MessageWriter().varint(1, elementType).message(2, shape);
  return new MessageWriter().string(1, name).message(2, new MessageWriter().message(1, tensorType));
}

export type OnnxAttribute = number | string | number[] | string[];

/** AttributeProto: name = 1, i = 3, s = 4, ints = 8, strings = 9, type = 20. Numbers are INT attributes. */
function attributeProto(name: string, value: OnnxAttribute): MessageWriter {
  const message = new MessageWriter().string(1, name);
  if (typeof value === 'number') return message.varint(3, value).varint(20, AttributeType.INT);
  if (typeof value === 'string') return message.string(4, value).varint(20, AttributeType.STRING);
  if (value.every((item) => typeof item === 'string')) {
    for (const item of value as string[]) message.string(9, item);
    return message.varint(20, AttributeType.STRINGS);
  }
  for (const item of value as number[]) message.varint(8, item);
  return message.varint(20, AttributeType.INTS);
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
function nodeProto(node: OnnxNode): MessageWriter {
  const message = new MessageWriter();
  for (const input of node.inputs) message.string(1, input);
  for (const output of node.outputs) message.string(2, output);
  if (node.name) message.string(3, node.name);
  message.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) message.message(5, attributeProto(name, value));
  return message;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: MessageWriter[];
  inputs: MessageWriter[];
  outputs: MessageWriter[];
}

export interface OnnxModelInfo {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/**
 * ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6,
 * graph = 7, opset_import = 8 (OperatorSetIdProto { domain = 1, version = 2 }),
 * metadata_props = 14 (StringStringEntryProto { key = 1, value = 2 }).
 * GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
 */
export function encodeOnnxModel(info: OnnxModelInfo, graph: OnnxGraph): Uint8Array {
  const graphMessage = new MessageWriter();
  for (const node of graph.nodes) graphMessage.message(1, nodeProto(node));
  graphMessage.string(2, graph.name);
  for (const initializer of graph.initializers) graphMessage.message(5, initializer);
  for (const input of graph.inputs) graphMessage.message(11, input);
  for (const output of graph.outputs) graphMessage.message(12, output);

  const model = new MessageWriter().varint(1, info.irVersion).string(2, info.producerName).string(3, info.producerVersion);
  if (info.docString) model.string(6, info.docString);
  model.message(7, graphMessage);
  model.message(8, new MessageWriter().string(1, '').varint(2, info.opsetVersion));
  for (const [key, value] of Object.entries(info.metadata ?? {})) model.message(14, new MessageWriter().string(1, key).string(2, value));
  return model.finish();
}
