/**
 * Export to ONNX: a trained model as an ONNX graph built on ONNX's own RNN, LSTM
 * and GRU operators, for inference in ONNX Runtime (onnxruntime-web, onnxruntime-node)
 * and other ONNX runtimes.
 *
 * The graph, time-major like predict() (T steps, B sequences, L layers, H hidden units):
 *   inputs   tokens          int64 [T, B]          token models (one-hot or embedding)
 *            inputs          float [T, B, I]       dense-input models
 *            initial_hidden  float [L, B, H]       PyTorch's h0 (absent with initialStates 'zeros')
 *            initial_cell    float [L, B, H]       LSTM only: c0 (likewise)
 *            lengths         int32 [B]             with sequenceLengths: each sequence's length
 *   outputs  logits          float [T, B, V]       the head's y_t = W_y h_t + b_y
 *            final_hidden    float [L, B, H]       h_n
 *            final_cell      float [L, B, H]       LSTM only: c_n
 *
 * Layer 0 reads OneHot(tokens) [T, B, V] (one-hot inputs: x W_ihᵀ picks W_ih's
 * column exactly), Gather(E, tokens) (a learned embedding) or the dense inputs;
 * each layer is one RNN / LSTM / GRU node whose Y [T, 1, B, H] is squeezed to the
 * next layer's input; each takes its [1, B, H] slice of the initial states.
 *
 * Gate orders differ from PyTorch's and are permuted here:
 *   LSTM  PyTorch i, f, g, o  →  ONNX i, o, f, c
 *   GRU   PyTorch r, z, n     →  ONNX z, r, h, with linear_before_reset = 1, which is
 *         PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * ONNX's B input is [W_b, R_b] = [b_ih, b_hh] in that gate order.
 */
import type { CellType, ResolvedConfig } from '../model/config.ts';
import type { RnnModel } from '../model/rnn-model.ts';
import { encodeOnnxModel, type MessageWriter, type OnnxNode, OnnxDataType, tensorProto, valueInfoProto } from './onnx-protobuf.ts';
import { parameterRoles } from './parameter-roles.ts';
import { checkExtraMetadata } from '../model/options.ts';
import { InvalidArgumentError, requireOptions } from '../validation.ts';

/** Opset 17: RNN/LSTM/GRU bind their version 14, Shape takes start/end (15). */
export const ONNX_OPSET_VERSION = 17;
/** IR version 8 (ONNX 1.10+); initializers may back optional graph inputs (IR ≥ 4). */
export const ONNX_IR_VERSION = 8;

/** ONNX's operator and its gate order, as indices of PyTorch's gate blocks. */
const ONNX_CELLS: Record<CellType, { opType: string; gateOrder: number[] }> = {
  rnn: { opType: 'RNN', gateOrder: [0] },
  lstm: { opType: 'LSTM', gateOrder: [0, 3, 1, 2] }, // i, o, f, c from i, f, g, o
  gru: { opType: 'GRU', gateOrder: [1, 0, 2] }, // z, r, h from r, z, n
};

export interface OnnxExportOptions {
  /**
   * 'inputs' (default): initial_hidden (and initial_cell) are graph inputs that must be
   * fed, [L, B, H] (zeros to start fresh; the previous run's final states to continue).
   * 'zeros': the graph has no state inputs and starts from zero states.
   * (ONNX's optional inputs, initializers listed as graph inputs, cannot be fed through
   * ONNX Runtime's JavaScript API, hence the choice at export.)
   */
  initialStates?: 'inputs' | 'zeros';
  /**
   * Adds the input `lengths` int32 [B] (each sequence's length, padded at the end), given
   * to every layer as ONNX's sequence_lens: final states are those of each sequence's
   * own last step, as predict() with `lengths` gives them; logits past a sequence's
   * end are the head's bias (ONNX zeroes Y there). Default false.
   */
  sequenceLengths?: boolean;
  /** Strings stored in the file's metadata_props (e.g. a vocabulary's toMetadata()), besides the architecture. */
  metadata?: Record<string, string>;
}

/** The model as ONNX bytes (a ModelProto): see the file comment for the graph's inputs and outputs. */
export async function exportOnnx(model: RnnModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  requireOptions('options', options, ['initialStates', 'sequenceLengths', 'metadata'], true);
  if (options.metadata !== undefined) checkExtraMetadata(options.metadata, 'options.metadata', 'ONNX');
  const chosen = options.initialStates ?? 'inputs';
  if (chosen !== 'inputs' && chosen !== 'zeros') throw new InvalidArgumentError('options.initialStates', `got ${JSON.stringify(chosen)}, expected 'inputs' or 'zeros'`);
  if (options.sequenceLengths !== undefined && typeof options.sequenceLengths !== 'boolean') {
    throw new InvalidArgumentError('options.sequenceLengths', `got ${JSON.stringify(options.sequenceLengths)}, expected true or false`);
  }
  return onnxFromParameters(model.config, await model.readParameters(), { ...options, initialStates: chosen });
}

/** The ONNX file for a model of `config` with these parameters (by the model's parameter names). */
export function onnxFromParameters(
  config: Readonly<ResolvedConfig>,
  parameters: Record<string, Float32Array>,
  options: OnnxExportOptions = {},
): Uint8Array {
  const { cell, layers: L, hiddenSize: H, gates: G, inputKind, inputSize: I, embeddingSize: D, outputSize: V } = config;
  const roles = parameterRoles(Object.keys(parameters), L);
  const nodes: OnnxNode[] = [];
  const initializers: MessageWriter[] = [];
  const constant = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    initializers.push(tensorProto(name, dims, data));
    return name;
  };
  const int64s = (name: string, values: number[]) => constant(name, [values.length], BigInt64Array.from(values, BigInt));
  const node = (opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']) => {
    nodes.push({ opType, inputs, outputs, name: outputs[0], ...(attributes ? { attributes } : {}) });
    return outputs[0];
  };

  // Layer 0's input sequence [T, B, I_0].
  const source = inputKind === 'tokens' ? 'tokens' : 'inputs';
  let sequence: string;
  if (inputKind === 'dense') sequence = source;
  else if (roles.embedding) sequence = node('Gather', [constant('embedding.weight', [I, D], parameters[roles.embedding]), source], ['embedded']);
  else sequence = node('OneHot', [source, int64s('one_hot.depth', [I]), constant('one_hot.values', [2], Float32Array.of(0, 1))], ['one_hot'], { axis: -1 });

  // Initial states: graph inputs [L, B, H], or zeros [L, 1, H] broadcast to the batch.
  const stateNames = cell === 'lstm' ? ['initial_hidden', 'initial_cell'] : ['initial_hidden'];
  let initialStates = stateNames;
  if (options.initialStates === 'zeros') {
    const batchSize = node('Shape', [source], ['batch_size'], { start: 1, end: 2 });
    const stateShape = node('Concat', [int64s('layer_count', [L]), batchSize, int64s('hidden_size', [H])], ['state_shape'], { axis: 0 });
    initialStates = stateNames.map((name) => node('Expand', [constant(`${name}.zeros`, [L, 1, H], new Float32Array(L * H)), stateShape], [name]));
  }

  const { opType, gateOrder } = ONNX_CELLS[cell];
  const axis0 = int64s('axis0', [0]);
  const axis1 = int64s('axis1', [1]);
  const finals: string[][] = stateNames.map(() => []);
  roles.layers.forEach((names, k) => {
    const inputWidth = k === 0 ? (D > 0 ? D : I) : H;
    const W = constant(`layer${k}.W`, [1, G * H, inputWidth], permuteGates(parameters[names.weightIh], gateOrder, H, inputWidth));
    const R = constant(`layer${k}.R`, [1, G * H, H], permuteGates(parameters[names.weightHh], gateOrder, H, H));
    const bias = new Float32Array(2 * G * H);
    bias.set(permuteGates(parameters[names.biasIh], gateOrder, H, 1), 0);
    bias.set(permuteGates(parameters[names.biasHh], gateOrder, H, 1), G * H);
    const B = constant(`layer${k}.B`, [1, 2 * G * H], bias);
    const [start, end] = [int64s(`layer${k}.start`, [k]), int64s(`layer${k}.end`, [k + 1])];
    const layerStates = initialStates.map((state, s) => node('Slice', [state, start, end, axis0], [`layer${k}.${stateNames[s]}`]));
    const outputs = [`layer${k}.Y`, `layer${k}.Y_h`, ...(cell === 'lstm' ? [`layer${k}.Y_c`] : [])];
    const attributes: OnnxNode['attributes'] = { hidden_size: H, direction: 'forward' };
    if (cell === 'rnn') attributes.activations = [config.nonlinearity === 'relu' ? 'Relu' : 'Tanh'];
    if (cell === 'gru') attributes.linear_before_reset = 1;
    // Inputs: X, W, R, B, sequence_lens ('' when absent), initial_h[, initial_c].
    node(opType, [sequence, W, R, B, options.sequenceLengths ? 'lengths' : '', ...layerStates], outputs, attributes);
    finals[0].push(outputs[1]);
    if (cell === 'lstm') finals[1].push(outputs[2]);
    sequence = node('Squeeze', [outputs[0], axis1], [`layer${k}.hidden`]);
  });
  const finalNames = cell === 'lstm' ? ['final_hidden', 'final_cell'] : ['final_hidden'];
  finals.forEach((perLayer, s) => node('Concat', perLayer, [finalNames[s]], { axis: 0 }));

  // Head: y_t = h_t W_yᵀ + b_y over all steps at once.
  const headWeight = constant('head.weight_transposed', [H, V], transpose(parameters[roles.headWeight], V, H));
  const product = node('MatMul', [sequence, headWeight], ['head.product']);
  node('Add', [product, constant('head.bias', [V], parameters[roles.headBias])], ['logits']);

  const inputs = [
    inputKind === 'tokens' ? valueInfoProto('tokens', OnnxDataType.INT64, ['time', 'batch']) : valueInfoProto('inputs', OnnxDataType.FLOAT, ['time', 'batch', I]),
    ...(options.initialStates === 'zeros' ? [] : stateNames.map((name) => valueInfoProto(name, OnnxDataType.FLOAT, [L, 'batch', H]))),
    ...(options.sequenceLengths ? [valueInfoProto('lengths', OnnxDataType.INT32, ['batch'])] : []),
  ];
  const outputs = [
    valueInfoProto('logits', OnnxDataType.FLOAT, ['time', 'batch', V]),
    ...finalNames.map((name) => valueInfoProto(name, OnnxDataType.FLOAT, [L, 'batch', H])),
  ];
  return encodeOnnxModel(
    {
      irVersion: ONNX_IR_VERSION,
      opsetVersion: ONNX_OPSET_VERSION,
      producerName: 'webgpu-rnn',
      producerVersion: '0.1.0',
      docString: `${L}-layer ${cell.toUpperCase()} (H = ${H}) with a linear head; time-major inputs and outputs.`,
      metadata: {
        ...options.metadata,
        cell,
        nonlinearity: config.nonlinearity,
        layers: String(L),
        hidden_size: String(H),
        input_kind: inputKind,
        embedding_size: String(D),
      },
    },
    { name: 'webgpu_rnn', nodes, initializers, inputs, outputs },
  );
}

/**
 * Rows of a PyTorch-stacked [G·H, columns] matrix (or [G·H] vector, columns = 1)
 * with the gate blocks reordered: block j of the result is block order[j] of the input.
 */
function permuteGates(values: Float32Array, order: number[], H: number, columns: number): Float32Array {
  const block = H * columns;
  const out = new Float32Array(values.length);
  order.forEach((from, to) => out.set(values.subarray(from * block, (from + 1) * block), to * block));
  return out;
}

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}
