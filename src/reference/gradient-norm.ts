// CPU reference (float64): the gradient norm and torch.nn.utils.clip_grad_norm_ (the GPU's
// guardedGradientNorm: sumSquaresPartial, finishNorm and scaleGradients in gradient_norm.wgsl).
//   ‖g‖ = √(Σ g²) over every parameter's gradient
//   g ← g · min(1, maxNorm / (‖g‖ + 1e−6))

/** √(Σ g²) over every parameter's gradient, in float64. */
export function gradientNorm(gradients: Record<string, ArrayLike<number>>): number {
  let sum = 0;
  for (const values of Object.values(gradients)) for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/** clip_grad_norm_ in place: g ← g · min(1, maxNorm / (‖g‖ + 1e−6)); returns ‖g‖ before clipping. */
export function clipGradientNorm(gradients: Record<string, Float64Array>, maxNorm: number): number {
  const norm = gradientNorm(gradients);
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  for (const g of Object.values(gradients)) for (let i = 0; i < g.length; i++) g[i] *= coefficient;
  return norm;
}
