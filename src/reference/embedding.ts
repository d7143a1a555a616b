// CPU reference (float64): token inputs, done as gathers and scatter-adds, never a one-hot.
//   embeddingForward / embeddingBackward: the first layer's input projection W_ih·onehot(token) + b
//     (the GPU's embeddingForward / embeddingBackward, embedding.wgsl)
//   embeddingRowsForward / embeddingRowsBackward: a learned embedding E [V, D] looked up per position
//     (the GPU's embeddingRowsForward / embeddingRowsBackward)
import { addInPlace, columnSums } from './linear-algebra.ts';
import type { LinearGradients } from './linear.ts';
import { checkIndices, checkLength } from './validation.ts';

/**
 * Linear layer on one-hot inputs: Y[n] = W·onehot(token_n) + b = W[:, token_n] + b,
 * with W [out, vocabulary], b [out]; tokens has `rows` entries.
 */
export function embeddingForward(
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
export function embeddingBackward(
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


/** X[n] = E[token_n]: rows of E [vocabulary, width] gathered for `rows` positions. */
export function embeddingRowsForward(tokens: ArrayLike<number>, embedding: ArrayLike<number>, rows: number, width: number): Float64Array {
  const output = new Float64Array(rows * width);
  for (let n = 0; n < rows; n++) {
    const row = tokens[n] * width;
    for (let d = 0; d < width; d++) output[n * width + d] = embedding[row + d];
  }
  return output;
}

/** Adds into dEmbedding: dE[token_n] += dX[n] (a scatter-add over positions). */
export function embeddingRowsBackward(dOutput: ArrayLike<number>, tokens: ArrayLike<number>, rows: number, width: number, dEmbedding: Float64Array): void {
  for (let n = 0; n < rows; n++) {
    const row = tokens[n] * width;
    for (let d = 0; d < width; d++) dEmbedding[row + d] += dOutput[n * width + d];
  }
}
