// CPU reference (float64): parameter names and shapes of the simple RNN language model,
// named as in a PyTorch state_dict of torch.nn.RNN (one layer, tanh) plus a nn.Linear head.
import { checkLength, checkPositiveInteger } from './validation.ts';

/** Parameters (or gradients) by PyTorch state_dict name; each row-major, float64. */
export type ReferenceParameters = Record<string, Float64Array>;

export interface ReferenceDims {
  inputSize: number; // I: features per input, or the vocabulary size for token inputs
  hiddenSize: number; // H
  outputSize: number; // V: classes of the output head
}

/** Name → shape, in state_dict order. */
export function referenceParameterShapes(dims: ReferenceDims): Record<string, number[]> {
  checkDims(dims);
  const { inputSize: I, hiddenSize: H, outputSize: V } = dims;
  return {
    weight_ih_l0: [H, I],
    weight_hh_l0: [H, H],
    bias_ih_l0: [H],
    bias_hh_l0: [H],
    weight: [V, H],
    bias: [V],
  };
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
