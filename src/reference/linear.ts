// CPU reference (float64): a fully connected layer, torch.nn.Linear conventions.
// The same layer on one-hot token inputs is embeddingForward (embedding.ts).
import { addInPlace, columnSums, matmulReference } from './linear-algebra.ts';
import { checkLength } from './validation.ts';

/** Where linearBackward / embeddingBackward ADD their results; omit what is not needed. */
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
