/**
 * Weights in from TensorFlow.js and Keras: a layers model (model.json + weights)
 * made of [Embedding] → SimpleRNN | LSTM | GRU (stacked) → Dense becomes an RnnModel
 * computing the same function. InputLayer and Dropout layers (no-ops at inference)
 * are skipped; TimeDistributed(Dense) is read as Dense. A Functional model is read as
 * the chain of its layers in order (a merge layer such as Concatenate is refused).
 *
 * Keras stores x·kernel with kernel [I, G·H] and recurrent_kernel [H, G·H]; PyTorch
 * stores W_ih = [G·H, I] and W_hh [G·H, H], so W = kernelᵀ with the gate blocks
 * reordered:
 *   SimpleRNN  one block                      h = act(x K + b + h R)
 *   LSTM       Keras i, f, c, o = PyTorch i, f, g, o (the same order)
 *   GRU        Keras z, r, h → PyTorch r, z, n
 * Keras has one bias per layer: it goes to b_ih, and b_hh is zero — except GRU with
 * reset_after=true, whose bias is [2, 3H] (input bias, recurrent bias) and whose
 *   hh = tanh(x K_h + b_h + r ⊙ (h R_h + b_rh))
 * is exactly PyTorch's n. reset_after=false (TF.js's only GRU) applies r before the
 * recurrent matmul, tanh(x K_h + b_h + (r ⊙ h) R_h), a different function: refused.
 * Only the logistic sigmoid maps to PyTorch's gates: TF.js's default
 * recurrent_activation 'hardSigmoid' is refused. Dense: W_y = kernelᵀ; a 'softmax'
 * activation is reported (the model's logits are its input).
 */
import type { GpuContext } from '../device/gpu-context.ts';
import type { CellType, Nonlinearity, RnnModelConfig } from '../model/config.ts';
import { RnnModel } from '../model/rnn-model.ts';
import { InvalidArgumentError } from '../validation.ts';
import { parameterRoles } from './parameter-roles.ts';
import { parseTfjsModel, type TfjsModelFiles, type TfjsTensor } from './tfjs-weights.ts';

export type { TfjsModelFiles };

/** The parameters by role (see parameter-roles.ts), PyTorch layout. */
export interface ImportedParameters {
  embedding?: Float32Array;
  layers: { weightIh: Float32Array; weightHh: Float32Array; biasIh: Float32Array; biasHh: Float32Array }[];
  headWeight: Float32Array;
  headBias: Float32Array;
}

export interface ImportedTfjsModel {
  /** The architecture as an RnnModel config (no optimizer: give one to importTfjsModel to train on). */
  config: RnnModelConfig;
  parameters: ImportedParameters;
  /** The Dense layer's activation: 'softmax' means the TF.js model outputs softmax(logits). */
  outputActivation: 'linear' | 'softmax';
  /** False when the top recurrent layer returns only its last step (a many-to-one model). */
  returnSequences: boolean;
}

interface KerasLayer {
  className: string;
  config: Record<string, unknown>;
  name: string;
}

const RNN_CLASSES: Record<string, CellType> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
/** PyTorch's gate block j is Keras's block KERAS_BLOCK[cell][j]. */
const KERAS_BLOCK: Record<CellType, number[]> = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] };
const SIGMOID = ['sigmoid'];
const argument = 'modelJson.modelTopology';

/** Reads a TF.js layers model into an RnnModel config and PyTorch-layout parameters (CPU only). */
export function readTfjsModel(files: TfjsModelFiles): ImportedTfjsModel {
  const { topology, tensors } = parseTfjsModel(files);
  const layers = kerasLayers(topology).filter((layer) => !['InputLayer', 'Dropout'].includes(layer.className));
  const weight = (layer: KerasLayer, key: string, shape: number[]): TfjsTensor => {
    const found = [...tensors.entries()].filter(([name]) => name.startsWith(`${layer.name}/`) && name.split('/').at(-1) === key);
    if (found.length !== 1) {
      throw new InvalidArgumentError('files.weights', `${found.length === 0 ? 'no' : 'more than one'} weight '${layer.name}/…/${key}' for layer ${layer.name}; the manifest has ${[...tensors.keys()].join(', ')}`);
    }
    const [name, tensor] = found[0];
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new InvalidArgumentError('files.weights', `weight ${name} has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}] from the layer's config`);
    }
    return tensor;
  };

  let index = 0;
  let embedding: { data: Float32Array; vocabulary: number; size: number } | undefined;
  if (layers[0]?.className === 'Embedding') {
    const layer = layers[index++];
    const [vocabulary, size] = [integerField(layer, 'input_dim'), integerField(layer, 'output_dim')];
    if (layer.config.mask_zero === true) refuse(layer, 'mask_zero is true: masked steps keep the previous state, which this model does not do');
    embedding = { data: weight(layer, 'embeddings', [vocabulary, size]).data, vocabulary, size };
  }

  const recurrent: KerasLayer[] = [];
  while (layers[index] && Object.hasOwn(RNN_CLASSES, layers[index].className)) recurrent.push(layers[index++]);
  if (recurrent.length === 0) {
    throw new InvalidArgumentError(argument, `expected [Embedding] then SimpleRNN, LSTM or GRU layers then Dense; found ${layers.map((l) => l.className).join(' → ') || 'no layers'}`);
  }
  const head = layers[index++];
  if (!head || head.className !== 'Dense' || index !== layers.length) {
    const rest = layers.slice(index - 1).map((l) => `${l.className} (${l.name})`);
    throw new InvalidArgumentError(argument, `expected one Dense layer after the recurrent layers, found ${rest.join(' → ') || 'nothing'}`);
  }

  const cell = RNN_CLASSES[recurrent[0].className];
  const hiddenSize = integerField(recurrent[0], 'units');
  const G = KERAS_BLOCK[cell].length;
  const nonlinearity = checkActivations(recurrent[0], cell);
  const firstKernel = [...tensors.entries()].find(([name]) => name.startsWith(`${recurrent[0].name}/`) && name.endsWith('/kernel'));
  const inputSize = embedding ? embedding.size : (firstKernel?.[1].shape[0] ?? 0);
  const mapped = recurrent.map((layer, k) => {
    if (RNN_CLASSES[layer.className] !== cell) refuse(layer, `is ${layer.className} after ${recurrent[0].className}: every layer must be the same cell`);
    if (integerField(layer, 'units') !== hiddenSize) refuse(layer, `has ${layer.config.units} units, layer 0 has ${hiddenSize}: every layer must have the same hidden size`);
    if (checkActivations(layer, cell) !== nonlinearity) refuse(layer, `has activation ${layer.config.activation}, layer 0 has ${nonlinearity}`);
    if (layer.config.go_backwards === true) refuse(layer, 'go_backwards is true: reversed sequences are not supported');
    if (k < recurrent.length - 1 && layer.config.return_sequences !== true) refuse(layer, 'return_sequences is false below the top layer: the next layer needs every step');
    const I = k === 0 ? inputSize : hiddenSize;
    const kernel = weight(layer, 'kernel', [I, G * hiddenSize]);
    const recurrentKernel = weight(layer, 'recurrent_kernel', [hiddenSize, G * hiddenSize]);
    const order = KERAS_BLOCK[cell];
    const biasIh = new Float32Array(G * hiddenSize);
    const biasHh = new Float32Array(G * hiddenSize);
    if (layer.config.use_bias !== false) {
      if (cell === 'gru' && layer.config.reset_after === true) {
        const bias = weight(layer, 'bias', [2, G * hiddenSize]).data;
        biasIh.set(transposeGates(bias.subarray(0, G * hiddenSize), 1, order, hiddenSize));
        biasHh.set(transposeGates(bias.subarray(G * hiddenSize), 1, order, hiddenSize));
      } else {
        biasIh.set(transposeGates(weight(layer, 'bias', [G * hiddenSize]).data, 1, order, hiddenSize));
      }
    }
    return {
      weightIh: transposeGates(kernel.data, I, order, hiddenSize),
      weightHh: transposeGates(recurrentKernel.data, hiddenSize, order, hiddenSize),
      biasIh,
      biasHh,
    };
  });

  const outputSize = integerField(head, 'units');
  const activation = head.config.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'softmax') refuse(head, `has activation ${JSON.stringify(activation)}; only 'linear' and 'softmax' (applied to the logits) map to the linear head`);
  const headKernel = weight(head, 'kernel', [hiddenSize, outputSize]).data;
  const headBias = head.config.use_bias === false ? new Float32Array(outputSize) : weight(head, 'bias', [outputSize]).data;

  const config: RnnModelConfig = {
    cell,
    ...(cell === 'rnn' ? { nonlinearity } : {}),
    layers: recurrent.length,
    hiddenSize,
    outputSize,
    ...(embedding ? { vocabularySize: embedding.vocabulary, embeddingSize: embedding.size } : { inputSize }),
  };
  return {
    config,
    parameters: {
      ...(embedding ? { embedding: embedding.data } : {}),
      layers: mapped,
      headWeight: transposeGates(headKernel, hiddenSize, [0], outputSize),
      headBias,
    },
    outputActivation: activation as 'linear' | 'softmax',
    returnSequences: recurrent.at(-1)!.config.return_sequences === true,
  };
}

/**
 * An RnnModel with a TF.js / Keras layers model's weights: predict() gives the
 * Dense layer's pre-activation outputs, time-major. `options` adds what the file
 * does not say (optimizer, seed) for further training.
 */
export async function importTfjsModel(
  context: GpuContext,
  files: TfjsModelFiles,
  options: Pick<RnnModelConfig, 'optimizer' | 'seed'> = {},
): Promise<RnnModel> {
  const imported = readTfjsModel(files);
  const model = await RnnModel.create(context, { ...imported.config, ...options });
  try {
    const roles = parameterRoles(Object.keys(model.parameterShapes), imported.parameters.layers.length);
    const values: Record<string, Float32Array> = { [roles.headWeight]: imported.parameters.headWeight, [roles.headBias]: imported.parameters.headBias };
    if (roles.embedding && imported.parameters.embedding) values[roles.embedding] = imported.parameters.embedding;
    roles.layers.forEach((names, k) => {
      for (const key of ['weightIh', 'weightHh', 'biasIh', 'biasHh'] as const) values[names[key]] = imported.parameters.layers[k][key];
    });
    model.writeParameters(values);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** The model's layers in order: Sequential, or a Functional model that is one chain. */
function kerasLayers(topology: Record<string, unknown>): KerasLayer[] {
  // tf.keras wraps the model in { class_name, config }; very old Keras stored the layer list as config itself.
  const config = topology.config as Record<string, unknown> | unknown[] | undefined;
  const list = Array.isArray(config) ? config : (config?.layers as unknown[] | undefined);
  if (!Array.isArray(list)) throw new InvalidArgumentError(argument, `has no layer list (class_name ${JSON.stringify(topology.class_name)})`);
  return list.map((entry, i) => {
    const layer = entry as { class_name?: string; config?: Record<string, unknown>; name?: string };
    if (typeof layer?.class_name !== 'string' || typeof layer.config !== 'object' || layer.config === null) {
      throw new InvalidArgumentError(argument, `layer ${i} has no class_name and config`);
    }
    const name = String(layer.config.name ?? layer.name ?? '');
    if (layer.class_name === 'TimeDistributed') {
      const inner = layer.config.layer as { class_name?: string; config?: Record<string, unknown> } | undefined;
      if (inner?.class_name !== 'Dense' || !inner.config) throw new InvalidArgumentError(argument, `layer ${name} is TimeDistributed(${inner?.class_name}); only TimeDistributed(Dense) is supported`);
      return { className: 'Dense', config: inner.config, name };
    }
    return { className: layer.class_name, config: layer.config, name };
  });
}

function checkActivations(layer: KerasLayer, cell: CellType): Nonlinearity {
  const activation = String(layer.config.activation ?? 'tanh');
  if (cell === 'rnn') {
    if (activation !== 'tanh' && activation !== 'relu') refuse(layer, `has activation ${JSON.stringify(activation)}; the simple RNN maps with 'tanh' or 'relu'`);
    return activation as Nonlinearity;
  }
  if (activation !== 'tanh') refuse(layer, `has activation ${JSON.stringify(activation)}; PyTorch's ${cell.toUpperCase()} uses tanh`);
  const recurrentActivation = String(layer.config.recurrent_activation ?? 'hard_sigmoid');
  if (!SIGMOID.includes(recurrentActivation)) {
    refuse(layer, `has recurrent_activation ${JSON.stringify(recurrentActivation)}; PyTorch's gates use the logistic sigmoid (in TF.js set recurrentActivation: 'sigmoid', whose default is 'hardSigmoid')`);
  }
  if (cell === 'gru' && layer.config.reset_after !== true) {
    refuse(layer, "has reset_after false: it applies the reset gate before the recurrent matmul, tanh(x K + b + (r ⊙ h) R), which PyTorch's GRU does not compute; only reset_after true (Keras's default since TF 2) maps exactly (TF.js's GRU supports only false)");
  }
  return 'tanh';
}

function integerField(layer: KerasLayer, key: string): number {
  const value = layer.config[key];
  if (!Number.isInteger(value) || (value as number) < 1) refuse(layer, `has ${key} ${JSON.stringify(value)}, expected a positive integer`);
  return value as number;
}

function refuse(layer: KerasLayer, problem: string): never {
  throw new InvalidArgumentError(`${argument} layer ${layer.name} (${layer.className})`, problem);
}

/**
 * Keras [rows, G·H] (gate blocks of H columns) → PyTorch [G·H, rows]: out row
 * j·H + u, column i = in[i, order[j]·H + u]. With rows = 1 it reorders a bias's blocks.
 */
function transposeGates(values: Float32Array, rows: number, order: number[], H: number): Float32Array {
  const columns = order.length * H;
  const out = new Float32Array(values.length);
  order.forEach((from, to) => {
    for (let u = 0; u < H; u++) for (let i = 0; i < rows; i++) out[(to * H + u) * rows + i] = values[i * columns + from * H + u];
  });
  return out;
}
