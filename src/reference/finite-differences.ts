// CPU reference (float64): numerical gradients by central differences, to prove the
// analytic backward passes.

/**
 * dL/dx_i ≈ (L(x + h·e_i) − L(x − h·e_i)) / (2h) for every i, perturbing x in place and
 * restoring it exactly. The divisor is the step actually taken after rounding,
 * (x_i + h) − (x_i − h), not 2h. The default step balances rounding, ≈ ε·|L|/h, against
 * truncation, ≈ h²·|L'''|/6, for float64 losses of order 1 (the optimum is near ε^(1/3) ≈ 6e-6).
 */
export function centralDifferenceGradient(
  loss: () => number,
  x: Float64Array,
  step = 1e-5,
): Float64Array {
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const original = x[i];
    const plus = original + step;
    const minus = original - step;
    x[i] = plus;
    const lossPlus = loss();
    x[i] = minus;
    const lossMinus = loss();
    x[i] = original;
    gradient[i] = (lossPlus - lossMinus) / (plus - minus);
  }
  return gradient;
}
