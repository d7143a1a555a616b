/**
 * Models in the safetensors format: the parameters by the state_dict names of a
 * PyTorch module (little-endian F32, row-major) and a header whose metadata
 * records what the weights are for:
 *   format "webgpu-rnn", format_version "2", cell, nonlinearity, layers,
 *   input_kind ("tokens" | "dense"), input_size, embedding_size, hidden_size,
 *   output_size, single_bias ("true" | "false"), and bidirectional ("true") for
 *   bidirectional models (absent: false)
 * plus any string fields the caller adds (e.g. the vocabulary).
 *
 * Tensor names are those of python/webgpu_rnn.py's modules, loadable there with
 * strict=True:
 *   WebGpuRnn   embedding.weight, rnn.weight_ih_l{k}, rnn.weight_hh_l{k},
 *               rnn.bias_ih_l{k}, rnn.bias_hh_l{k} (single bias: rnn.bias_l{k}),
 *               head.weight, head.bias
 *   SimpleRNN   (PyTorch's founding example, the form of a one-layer single-bias
 *               simple RNN without embedding) i2h.weight [H, I+H] = [W_ih | W_hh],
 *               i2h.bias [H], h2o.weight [V, H], h2o.bias [V]
 * Checkpoints add the optimizer's states under `optimizer.first.<name>` and
 * `optimizer.second.<name>`, named the same way.
 *
 * Files of format_version "1" (bare names: weight_ih_l0, …, and the head's
 * `weight`, `bias`) still load. A file without webgpu-rnn metadata, such as
 * PyTorch's own state_dict of an nn.RNN / LSTM / GRU plus an nn.Linear head (bare
 * or under the prefixes above), is read by inferring the architecture from the
 * shapes (gates from weight_hh_l0's rows).
 */
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from '../io/safetensors.ts';
import { checkStateDictShapes } from './state-dict-shapes.ts';
import { CELLS, type CellType, GATES, NONLINEARITIES, type ResolvedConfig, type RnnModelConfig } from './config.ts';
import { moduleParameterName, toLayoutNames } from './parameter-layout.ts';

export const MODEL_FORMAT = 'webgpu-rnn';
export const MODEL_FORMAT_VERSION = '2';
/** Versions this one reads: "1" had bare names (weight_ih_l0, weight, bias). */
const READABLE_VERSIONS = ['1', '2'];
/** Tensors of a checkpoint that are optimizer state, not parameters: `optimizer.first.<name>`, `optimizer.second.<name>`. */
export const OPTIMIZER_STATE_PREFIX = 'optimizer.';

/** Metadata keys the format itself uses; callers' extra metadata may not reuse them. */
const FORMAT_KEYS = ['format', 'format_version', 'cell', 'nonlinearity', 'layers', 'input_kind', 'input_size', 'embedding_size', 'hidden_size', 'output_size', 'single_bias', 'kind', 'training_state', 'bidirectional'];

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

/** What a file says of the network's shape: these fields of the resolved config (bidirectional absent: false). */
export type ArchitectureDescription = Pick<
  ResolvedConfig,
  'cell' | 'nonlinearity' | 'layers' | 'inputKind' | 'inputSize' | 'embeddingSize' | 'hiddenSize' | 'outputSize' | 'singleBias'
> & { bidirectional?: boolean };

type Tensor = { shape: number[]; data: Float32Array };

/** PyTorch's SimpleRNN form (i2h, h2o) is how one-layer single-bias simple RNNs without embedding are written. */
function usesSimpleRnnForm(architecture: ArchitectureDescription): boolean {
  return architecture.singleBias && architecture.cell === 'rnn' && architecture.layers === 1 && architecture.embeddingSize === 0;
}

/** Layout-named parameters → the file's module names (i2h.weight = [W_ih | W_hh] column blocks in the SimpleRNN form). */
function toFileNames(architecture: ArchitectureDescription, tensors: Record<string, Tensor>): Record<string, Tensor> {
  if (!usesSimpleRnnForm(architecture)) return Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [moduleParameterName(name), tensor]));
  const { weight_ih_l0: input, weight_hh_l0: recurrent, bias_l0: bias, weight, bias: headBias } = tensors;
  const [H, I] = input.shape;
  const joined = new Float32Array(H * (I + H));
  for (let row = 0; row < H; row++) {
    joined.set(input.data.subarray(row * I, (row + 1) * I), row * (I + H));
    joined.set(recurrent.data.subarray(row * H, (row + 1) * H), row * (I + H) + I);
  }
  return { 'i2h.weight': { shape: [H, I + H], data: joined }, 'i2h.bias': bias, 'h2o.weight': weight, 'h2o.bias': headBias };
}

/** A file's tensors (module, SimpleRNN or bare names) → layout names; i2h.weight is split into W_ih and W_hh. */
function toLayoutTensors(tensors: Record<string, Tensor>): Record<string, Tensor> {
  const refuse = (message: string): never => {
    throw new SafetensorsError(`the file names a parameter twice: ${message}`);
  };
  const { 'i2h.weight': joined, 'i2h.bias': bias, 'h2o.weight': headWeight, 'h2o.bias': headBias, ...rest } = tensors;
  if (!joined) return toLayoutNames(tensors, refuse);
  // i2h = Linear(I + H, H): hidden = tanh(i2h(cat(x, h))) = tanh(W_ih x + W_hh h + b), W_ih and W_hh the column blocks.
  const [H, width] = joined.shape;
  if (joined.shape.length !== 2 || !(width > H)) throw new SafetensorsError(`tensor 'i2h.weight' has shape [${joined.shape}], expected [H, I + H] with I ≥ 1`);
  const I = width - H;
  const input = new Float32Array(H * I);
  const recurrent = new Float32Array(H * H);
  for (let row = 0; row < H; row++) {
    for (let j = 0; j < I; j++) input[row * I + j] = joined.data[row * width + j];
    for (let j = 0; j < H; j++) recurrent[row * H + j] = joined.data[row * width + I + j];
  }
  const split: Record<string, Tensor> = { weight_ih_l0: { shape: [H, I], data: input }, weight_hh_l0: { shape: [H, H], data: recurrent } };
  if (bias) split.bias_l0 = bias;
  // h2o is the head; a second spelling of it in the same file is refused by toLayoutNames.
  if (headWeight) split['head.weight'] = headWeight;
  if (headBias) split['head.bias'] = headBias;
  return toLayoutNames({ ...rest, ...split }, refuse);
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
  for (const [group, members] of Object.entries(groupByOptimizerState(parameters))) {
    for (const [name, { shape, data }] of Object.entries(toFileNames(architecture, members))) tensors[group + name] = { dtype: 'F32', shape, data };
  }
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
      single_bias: String(architecture.singleBias),
      ...(architecture.bidirectional ? { bidirectional: 'true' } : {}),
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
  if (!READABLE_VERSIONS.includes(metadata.format_version)) {
    throw new SafetensorsError(`model format_version is ${JSON.stringify(metadata.format_version)}; this version reads ${READABLE_VERSIONS.join(' and ')}`);
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
    singleBias: metadata.single_bias === undefined ? false : oneOfField(metadata, 'single_bias', ['true', 'false'] as const) === 'true',
    bidirectional: metadata.bidirectional === undefined ? false : oneOfField(metadata, 'bidirectional', ['true', 'false'] as const) === 'true',
  };
}

/** The architecture of a plain PyTorch state_dict, from its shapes. */
function inferArchitecture(tensors: Record<string, { shape: number[] }>, inputKind: 'tokens' | 'dense'): ArchitectureDescription {
  checkStateDictShapes(tensors);
  const recurrent = tensors.weight_hh_l0;
  const input = tensors.weight_ih_l0;
  const head = tensors.weight;
  if (!recurrent || !input || !head) {
    const missing = ['weight_ih_l0', 'weight_hh_l0', 'weight'].filter((name) => !tensors[name]);
    throw new SafetensorsError(
      `not a webgpu-rnn model file and not a recurrent state_dict: no '${missing.map(moduleParameterName).join("', '")}' tensor (nor the bare or SimpleRNN i2h/h2o names)`,
    );
  }
  const [rows, hiddenSize] = recurrent.shape;
  const gates = rows / hiddenSize;
  const cell = (Object.entries(GATES) as [CellType, number][]).find(([, count]) => count === gates)?.[0];
  if (!cell) throw new SafetensorsError(`weight_hh_l0 has shape [${recurrent.shape}], expected [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)`);
  let layers = 0;
  while (tensors[`weight_hh_l${layers}`]) layers++;
  const singleBias = tensors.bias_l0 !== undefined;
  // PyTorch names the reverse direction of a bidirectional layer `…_l{k}_reverse`.
  const bidirectional = tensors.weight_hh_l0_reverse !== undefined;
  const embedding = tensors['embedding.weight'];
  if (embedding) return { cell, nonlinearity: 'tanh', layers, inputKind: 'tokens', inputSize: embedding.shape[0], embeddingSize: embedding.shape[1], hiddenSize, outputSize: head.shape[0], singleBias, bidirectional };
  return { cell, nonlinearity: 'tanh', layers, inputKind, inputSize: input.shape[1], embeddingSize: 0, hiddenSize, outputSize: head.shape[0], singleBias, bidirectional };
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
    ...(architecture.singleBias ? { singleBias: true } : {}),
    ...(architecture.bidirectional ? { bidirectional: true } : {}),
  };
}

/** Tensors split into parameters ('') and the optimizer's states ('optimizer.first.', 'optimizer.second.'), names without those prefixes. */
function groupByOptimizerState<T>(tensors: Record<string, T>): Record<string, Record<string, T>> {
  const groups: Record<string, Record<string, T>> = Object.create(null);
  for (const [name, tensor] of Object.entries(tensors)) {
    const state = /^optimizer\.(first|second)\./.exec(name);
    const group = state ? state[0] : '';
    (groups[group] ??= Object.create(null))[name.slice(group.length)] = tensor;
  }
  return groups;
}

/**
 * Reads a model file. Throws a SafetensorsError naming what is wrong: a damaged
 * file, unknown metadata, or tensors that do not fit the recorded architecture.
 * `inputKind` is used only for files without webgpu-rnn metadata.
 */
export function decodeModelFile(bytes: Uint8Array | ArrayBuffer, options: { inputKind?: 'tokens' | 'dense' } = {}): ModelFileContents {
  const file = decodeSafetensors(bytes);
  if (file.metadata.format !== undefined && file.metadata.format !== MODEL_FORMAT) {
    throw new SafetensorsError(`the file's metadata says format ${JSON.stringify(file.metadata.format)}, expected "${MODEL_FORMAT}" or none`);
  }
  const inferred = file.metadata.format !== MODEL_FORMAT;
  const checkpoint = file.metadata.kind === 'checkpoint';
  // Null-prototype records: a tensor named '__proto__' or 'constructor' is a name like any other.
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const [name, tensor] of Object.entries(file.tensors)) {
    if (tensor.dtype === 'I32' && !(checkpoint && name.startsWith(OPTIMIZER_STATE_PREFIX))) {
      throw new SafetensorsError(`tensor '${name}' has dtype I32, expected F32 or F64 for a parameter`);
    }
    tensors[name] = { shape: tensor.shape, data: tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data) };
  }
  const groups = checkpoint ? groupByOptimizerState(tensors) : { '': tensors };
  const parameters = toLayoutTensors(groups[''] ?? {});
  const optimizerState: ModelFileContents['optimizerState'] = Object.create(null);
  for (const [group, members] of Object.entries(groups)) {
    if (group === '') continue;
    const which = group.slice(OPTIMIZER_STATE_PREFIX.length); // 'first.' or 'second.'
    for (const [name, tensor] of Object.entries(toLayoutTensors(members))) optimizerState[which + name] = tensor;
  }
  const architecture = inferred ? inferArchitecture(parameters, options.inputKind ?? 'tokens') : architectureFromMetadata(file.metadata);
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
    if (!tensor) problems.push(`missing tensor '${fileName(name)}' of shape [${shape}]`);
    else if (tensor.shape.join(',') !== shape.join(',')) problems.push(`tensor '${fileName(name)}' has shape [${tensor.shape}], expected [${shape}]`);
  }
  for (const name of Object.keys(tensors)) {
    if (!Object.hasOwn(shapes, name)) problems.push(`unexpected tensor '${fileName(name)}' (the model has ${Object.keys(shapes).map(fileName).join(', ')})`);
  }
  if (problems.length > 0) throw new SafetensorsError(`the file does not fit this model: ${problems.join('; ')}`);
}

/** How a file names a parameter or an optimizer state ('first.weight' → 'optimizer.first.head.weight'), for messages. */
function fileName(name: string): string {
  const state = /^(first|second)\.(.*)$/.exec(name);
  return state ? `${OPTIMIZER_STATE_PREFIX}${state[1]}.${moduleParameterName(state[2])}` : moduleParameterName(name);
}
