// CPU reference (float64): a fully connected layer, torch.nn.Linear conventions,
// and the same layer applied to one-hot token inputs (done as a gather, never a one-hot).
import { addInPlace, columnSums, matmulReference } from './linear-algebra.ts';
import { checkIndices, checkLength } from './validation.ts';

/** Where linearBackward / tokenLinearBackward ADD their results; omit what is not needed. */
export interface LinearGradients {
  dInput?: Float64Array; // [rows, inFeatures]
  dWeight?: Float64Array; // [outFeatures, inFeatures]
  dBias?: Float64Array; // [outFeatures]
}

/** Y[rows, out] = X·Wᵀ + b, with X [rows, in], W [out, in], b [out]. */
export function linearForward(
  input: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  rows: number,
  inFeatures: number,
  outFeatures: number,
): Float64Array {
  return matmulReference(input, weight, rows, outFeatures, inFeatures, { transposeB: true, bias });
}

/**
 * Adds into the gradients given:
 *   dX += dY·W        [rows, out]·[out, in]
 *   dW += dYᵀ·X       [out, rows]·[rows, in]
 *   db += Σ_rows dY
 */
export function linearBackward(
  dOutput: ArrayLike<number>,
  input: ArrayLike<number>,
  weight: ArrayLike<number>,
  rows: number,
  inFeatures: number,
  outFeatures: number,
  gradients: LinearGradients,
): void {
  const { dInput, dWeight, dBias } = gradients;
  if (dInput !== undefined) {
    addInPlace(dInput, matmulReference(dOutput, weight, rows, inFeatures, outFeatures));
  }
  if (dWeight !== undefined) {
    addInPlace(
      dWeight,
      matmulReference(dOutput, input, outFeatures, inFeatures, rows, { transposeA: true }),
    );
  }
  if (dBias !== undefined) addInPlace(dBias, columnSums(dOutput, rows, outFeatures));
}

/**
 * Linear layer on one-hot inputs: Y[n] = W·onehot(token_n) + b = W[:, token_n] + b,
 * with W [out, vocabulary], b [out]; tokens has `rows` entries.
 */
export function tokenLinearForward(
  tokens: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  rows: number,
  vocabularySize: number,
  outFeatures: number,
): Float64Array {
  checkLength('tokens', tokens, rows, `rows = ${rows}`);
  checkIndices('tokens', tokens, vocabularySize, 'token id');
  checkLength('weight', weight, outFeatures * vocabularySize, `[out, vocabulary] = [${outFeatures}, ${vocabularySize}]`);
  checkLength('bias', bias, outFeatures, `[out] = [${outFeatures}]`);
  const output = new Float64Array(rows * outFeatures);
  for (let n = 0; n < rows; n++) {
    const token = tokens[n];
    for (let j = 0; j < outFeatures; j++) {
      output[n * outFeatures + j] = weight[j * vocabularySize + token] + bias[j];
    }
  }
  return output;
}

/**
 * Adds into the gradients given (there is no input gradient for token ids):
 *   dW[:, token_n] += dY[n]   (dW += dYᵀ·onehot(tokens), done as a scatter-add)
 *   db += Σ_rows dY
 */
export function tokenLinearBackward(
  dOutput: ArrayLike<number>,
  tokens: ArrayLike<number>,
  rows: number,
  vocabularySize: number,
  outFeatures: number,
  gradients: Omit<LinearGradients, 'dInput'>,
): void {
  const { dWeight, dBias } = gradients;
  checkLength('dOutput', dOutput, rows * outFeatures, `[rows, out] = [${rows}, ${outFeatures}]`);
  checkLength('tokens', tokens, rows, `rows = ${rows}`);
  checkIndices('tokens', tokens, vocabularySize, 'token id');
  if (dWeight !== undefined) {
    checkLength('dWeight', dWeight, outFeatures * vocabularySize, `[out, vocabulary] = [${outFeatures}, ${vocabularySize}]`);
    for (let n = 0; n < rows; n++) {
      const token = tokens[n];
      for (let j = 0; j < outFeatures; j++) {
        dWeight[j * vocabularySize + token] += dOutput[n * outFeatures + j];
      }
    }
  }
  if (dBias !== undefined) addInPlace(dBias, columnSums(dOutput, rows, outFeatures));
}
