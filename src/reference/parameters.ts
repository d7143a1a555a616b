// CPU reference (float64): parameter names and shapes of the recurrent language model, named
// as in a PyTorch state_dict of torch.nn.RNN / LSTM / GRU (num_layers = L) followed by the
// state_dict of the torch.nn.Linear head.
import { checkLength, checkPositiveInteger } from './validation.ts';

/** Parameters (or gradients) by PyTorch state_dict name; each row-major, float64. */
export type ReferenceParameters = Record<string, Float64Array>;

/** torch.nn.RNN(nonlinearity='tanh' | 'relu'), torch.nn.LSTM, torch.nn.GRU. */
export type ReferenceCell = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/**
 * G: gate blocks of H rows stacked in weight_ih_l{k} [G·H, I_k], weight_hh_l{k} [G·H, H] and
 * both biases [G·H], in PyTorch's order: LSTM i, f, g, o; GRU r, z, n.
 */
export const GATES_PER_CELL: Record<ReferenceCell, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

export interface ReferenceDims {
  inputSize: number; // I: features per input, or the vocabulary size for token inputs
  hiddenSize: number; // H
  outputSize: number; // V: classes of the output head
  cell?: ReferenceCell; // 'rnn_tanh'
  layers?: number; // L, stacked: layer 0 reads the inputs, layer k > 0 reads layer k−1's outputs; 1
  embeddingSize?: number; // D: token inputs go through a learned embedding E [I, D] (nn.Embedding); 0 = one-hot
  singleBias?: boolean; // one bias_l{k} [G·H] per layer in place of bias_ih_l{k} and bias_hh_l{k} (rnn and lstm only); false
}

/** dims with its defaults filled in. */
export function resolveDims(dims: ReferenceDims): Required<ReferenceDims> {
  return { ...dims, cell: dims.cell ?? 'rnn_tanh', layers: dims.layers ?? 1, embeddingSize: dims.embeddingSize ?? 0, singleBias: dims.singleBias ?? false };
}

/**
 * Name → shape, in state_dict order: layer 0's weight_ih, weight_hh, bias_ih, bias_hh, then
 * layer 1's, …, then the head's weight [V, H] and bias [V]. I_0 = I, I_k = H for k > 0.
 */
export function referenceParameterShapes(dims: ReferenceDims): Record<string, number[]> {
  checkDims(dims);
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers, embeddingSize: D, singleBias } = resolveDims(dims);
  const GH = GATES_PER_CELL[cell] * H;
  const shapes: Record<string, number[]> = {};
  if (D > 0) shapes['embedding.weight'] = [I, D];
  for (let k = 0; k < layers; k++) {
    shapes[`weight_ih_l${k}`] = [GH, k > 0 ? H : D > 0 ? D : I];
    shapes[`weight_hh_l${k}`] = [GH, H];
    if (singleBias) {
      shapes[`bias_l${k}`] = [GH];
    } else {
      shapes[`bias_ih_l${k}`] = [GH];
      shapes[`bias_hh_l${k}`] = [GH];
    }
  }
  shapes.weight = [V, H];
  shapes.bias = [V];
  return shapes;
}

/** All-zero gradients, one per parameter. */
export function zeroGradients(dims: ReferenceDims): ReferenceParameters {
  const gradients: ReferenceParameters = {};
  for (const [name, shape] of Object.entries(referenceParameterShapes(dims))) {
    gradients[name] = new Float64Array(shapeSize(shape));
  }
  return gradients;
}

export function checkDims(dims: ReferenceDims): void {
  checkPositiveInteger('dims.inputSize', dims.inputSize);
  checkPositiveInteger('dims.hiddenSize', dims.hiddenSize);
  checkPositiveInteger('dims.outputSize', dims.outputSize);
  if (dims.cell !== undefined && !Object.hasOwn(GATES_PER_CELL, dims.cell)) {
    const known = Object.keys(GATES_PER_CELL).map((cell) => `'${cell}'`).join(', ');
    throw new Error(`dims.cell must be one of ${known}, got ${JSON.stringify(dims.cell)}`);
  }
  if (dims.layers !== undefined) checkPositiveInteger('dims.layers', dims.layers);
  if (dims.singleBias && dims.cell === 'gru') throw new Error("dims.singleBias is for 'rnn_tanh', 'rnn_relu' and 'lstm'; a GRU applies b_hn inside r ⊙ (W_hn h + b_hn)");
}

/** Every named tensor is present and has the length its shape needs. */
export function checkParameters(
  argumentName: string,
  parameters: ReferenceParameters,
  dims: ReferenceDims,
): void {
  for (const [name, shape] of Object.entries(referenceParameterShapes(dims))) {
    const tensor = parameters[name];
    if (tensor === undefined) {
      throw new Error(`${argumentName}.${name} is missing, expected a tensor of shape [${shape}]`);
    }
    checkLength(`${argumentName}.${name}`, tensor, shapeSize(shape), `shape [${shape}]`);
  }
}

function shapeSize(shape: number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
