/**
 * Models in the safetensors format: the parameters by PyTorch state_dict name
 * (little-endian F32, row-major) and a header whose metadata records what the
 * weights are for:
 *   format "webgpu-rnn", format_version "1", cell, nonlinearity, layers,
 *   input_kind ("tokens" | "dense"), input_size, hidden_size, output_size
 * plus any string fields the caller adds (e.g. the vocabulary).
 *
 * A file without that metadata, such as PyTorch's own state_dict of an
 * nn.RNN / LSTM / GRU plus an nn.Linear head saved with safetensors, is read by
 * inferring the architecture from the shapes (gates from weight_hh_l0's rows).
 */
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from '../io/safetensors.ts';
import { checkStateDictShapes } from './state-dict-shapes.ts';
import { CELLS, type CellType, GATES, NONLINEARITIES, type RnnModelConfig } from './config.ts';

export const MODEL_FORMAT = 'webgpu-rnn';
export const MODEL_FORMAT_VERSION = '1';
/** Tensors of a checkpoint that are optimizer state, not parameters: `optimizer.first.<name>`, `optimizer.second.<name>`. */
export const OPTIMIZER_STATE_PREFIX = 'optimizer.';

/** Metadata keys the format itself uses; callers' extra metadata may not reuse them. */
const FORMAT_KEYS = ['format', 'format_version', 'cell', 'nonlinearity', 'layers', 'input_kind', 'input_size', 'embedding_size', 'hidden_size', 'output_size', 'kind', 'training_state'];

export interface ModelFileContents {
  /** The architecture, ready for RnnModel.create (optimizer and seed not included). */
  config: RnnModelConfig;
  /** Parameters by state_dict name, as float32 with their shapes. */
  parameters: Record<string, { shape: number[]; data: Float32Array }>;
  /** All metadata of the file, the format's own fields included. */
  metadata: Record<string, string>;
  /** Checkpoints: the optimizer's per-parameter states, named `first.<parameter>` and `second.<parameter>`. */
  optimizerState: Record<string, { shape: number[]; data: Float32Array }>;
  /** True when the file had no webgpu-rnn metadata and the architecture was read off the shapes (nonlinearity unknown). */
  inferred: boolean;
}

export interface ArchitectureDescription {
  cell: CellType;
  nonlinearity: 'tanh' | 'relu';
  layers: number;
  inputKind: 'tokens' | 'dense';
  inputSize: number;
  /** 0: no learned embedding. */
  embeddingSize: number;
  hiddenSize: number;
  outputSize: number;
}

export function encodeModelFile(
  architecture: ArchitectureDescription,
  parameters: Record<string, { shape: number[]; data: Float32Array }>,
  extraMetadata: Record<string, string> = {},
  checkpoint?: { trainingState: string },
): Uint8Array {
  for (const key of Object.keys(extraMetadata)) {
    if (FORMAT_KEYS.includes(key)) throw new SafetensorsError(`metadata key '${key}' is the format's own; choose another name`);
  }
  const checkpointFields: Record<string, string> = checkpoint ? { kind: 'checkpoint', training_state: checkpoint.trainingState } : { kind: 'weights' };
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, { shape, data }] of Object.entries(parameters)) tensors[name] = { dtype: 'F32', shape, data };
  return encodeSafetensors({
    tensors,
    metadata: {
      format: MODEL_FORMAT,
      format_version: MODEL_FORMAT_VERSION,
      cell: architecture.cell,
      nonlinearity: architecture.nonlinearity,
      layers: String(architecture.layers),
      input_kind: architecture.inputKind,
      input_size: String(architecture.inputSize),
      embedding_size: String(architecture.embeddingSize),
      hidden_size: String(architecture.hiddenSize),
      output_size: String(architecture.outputSize),
      ...checkpointFields,
      ...extraMetadata,
    },
  });
}

function positiveIntegerField(metadata: Record<string, string>, key: string): number {
  const text = metadata[key];
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 1) {
    throw new SafetensorsError(`model metadata '${key}' is ${JSON.stringify(text)}, expected a positive integer`);
  }
  return value;
}

function oneOfField<T extends string>(metadata: Record<string, string>, key: string, allowed: readonly T[]): T {
  const value = metadata[key];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SafetensorsError(`model metadata '${key}' is ${JSON.stringify(value)}, expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function architectureFromMetadata(metadata: Record<string, string>): ArchitectureDescription {
  if (metadata.format_version !== MODEL_FORMAT_VERSION) {
    throw new SafetensorsError(`model format_version is ${JSON.stringify(metadata.format_version)}; this version reads ${MODEL_FORMAT_VERSION}`);
  }
  return {
    cell: oneOfField(metadata, 'cell', CELLS),
    nonlinearity: oneOfField(metadata, 'nonlinearity', NONLINEARITIES),
    layers: positiveIntegerField(metadata, 'layers'),
    inputKind: oneOfField(metadata, 'input_kind', ['tokens', 'dense'] as const),
    inputSize: positiveIntegerField(metadata, 'input_size'),
    embeddingSize: metadata.embedding_size === undefined || metadata.embedding_size === '0' ? 0 : positiveIntegerField(metadata, 'embedding_size'),
    hiddenSize: positiveIntegerField(metadata, 'hidden_size'),
    outputSize: positiveIntegerField(metadata, 'output_size'),
  };
}

/** The architecture of a plain PyTorch state_dict, from its shapes. */
function inferArchitecture(tensors: Record<string, SafetensorsTensor>, inputKind: 'tokens' | 'dense'): ArchitectureDescription {
  checkStateDictShapes(tensors);
  const recurrent = tensors.weight_hh_l0;
  const input = tensors.weight_ih_l0;
  const head = tensors.weight;
  if (!recurrent || !input || !head) {
    const missing = ['weight_ih_l0', 'weight_hh_l0', 'weight'].filter((name) => !tensors[name]);
    throw new SafetensorsError(`not a webgpu-rnn model file and not a recurrent state_dict: no '${missing.join("', '")}' tensor`);
  }
  const [rows, hiddenSize] = recurrent.shape;
  const gates = rows / hiddenSize;
  const cell = (Object.entries(GATES) as [CellType, number][]).find(([, count]) => count === gates)?.[0];
  if (!cell) throw new SafetensorsError(`weight_hh_l0 has shape [${recurrent.shape}], expected [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)`);
  let layers = 0;
  while (tensors[`weight_hh_l${layers}`]) layers++;
  const embedding = tensors['embedding.weight'];
  if (embedding) return { cell, nonlinearity: 'tanh', layers, inputKind: 'tokens', inputSize: embedding.shape[0], embeddingSize: embedding.shape[1], hiddenSize, outputSize: head.shape[0] };
  return { cell, nonlinearity: 'tanh', layers, inputKind, inputSize: input.shape[1], embeddingSize: 0, hiddenSize, outputSize: head.shape[0] };
}

export function configOf(architecture: ArchitectureDescription): RnnModelConfig {
  return {
    cell: architecture.cell,
    nonlinearity: architecture.nonlinearity,
    layers: architecture.layers,
    hiddenSize: architecture.hiddenSize,
    outputSize: architecture.outputSize,
    ...(architecture.inputKind === 'tokens' ? { vocabularySize: architecture.inputSize } : { inputSize: architecture.inputSize }),
    ...(architecture.embeddingSize > 0 ? { embeddingSize: architecture.embeddingSize } : {}),
  };
}

/**
 * Reads a model file. Throws a SafetensorsError naming what is wrong: a damaged
 * file, unknown metadata, or tensors that do not fit the recorded architecture.
 * `inputKind` is used only for files without webgpu-rnn metadata.
 */
export function decodeModelFile(bytes: Uint8Array, options: { inputKind?: 'tokens' | 'dense' } = {}): ModelFileContents {
  const file = decodeSafetensors(bytes);
  if (file.metadata.format !== undefined && file.metadata.format !== MODEL_FORMAT) {
    throw new SafetensorsError(`the file's metadata says format ${JSON.stringify(file.metadata.format)}, expected "${MODEL_FORMAT}" or none`);
  }
  const inferred = file.metadata.format !== MODEL_FORMAT;
  const architecture = inferred ? inferArchitecture(file.tensors, options.inputKind ?? 'tokens') : architectureFromMetadata(file.metadata);
  // Null-prototype records: a tensor named '__proto__' or 'constructor' is a name like any other.
  const parameters: ModelFileContents['parameters'] = Object.create(null);
  const optimizerState: ModelFileContents['parameters'] = Object.create(null);
  for (const [name, tensor] of Object.entries(file.tensors)) {
    if (file.metadata.kind === 'checkpoint' && name.startsWith(OPTIMIZER_STATE_PREFIX)) {
      optimizerState[name.slice(OPTIMIZER_STATE_PREFIX.length)] = { shape: tensor.shape, data: Float32Array.from(tensor.data) };
      continue;
    }
    if (tensor.dtype === 'I32') throw new SafetensorsError(`tensor '${name}' has dtype I32, expected F32 or F64 for a parameter`);
    parameters[name] = { shape: tensor.shape, data: tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data) };
  }
  return { config: configOf(architecture), parameters, optimizerState, metadata: file.metadata, inferred };
}

/**
 * Checks tensors against the names and shapes a model has: every name present,
 * no extra ones, every shape equal. Lists every mismatch in one error.
 */
export function checkParametersFit(tensors: Record<string, { shape: number[] }>, shapes: Record<string, number[]>): void {
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const tensor = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!tensor) problems.push(`missing tensor '${name}' of shape [${shape}]`);
    else if (tensor.shape.join(',') !== shape.join(',')) problems.push(`tensor '${name}' has shape [${tensor.shape}], expected [${shape}]`);
  }
  for (const name of Object.keys(tensors)) {
    if (!Object.hasOwn(shapes, name)) problems.push(`unexpected tensor '${name}' (the model has ${Object.keys(shapes).join(', ')})`);
  }
  if (problems.length > 0) throw new SafetensorsError(`the file does not fit this model: ${problems.join('; ')}`);
}
