// CPU reference (float64): the logistic sigmoid, in the form that never overflows.

/**
 * σ(x) = 1 / (1 + e^−x) for x ≥ 0, and e^x / (1 + e^x) for x < 0: each branch exponentiates
 * a non-positive number, so neither overflows (σ(−800) = 0, σ(800) = 1, never NaN) and
 * σ(x) keeps full relative precision for very negative x. Its derivative is σ(x)·(1 − σ(x)).
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
