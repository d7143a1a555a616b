// The logistic function in a form that never overflows:
//   σ(x) = 1 / (1 + e^{−x})  for x ≥ 0,   e^{x} / (1 + e^{x})  for x < 0.
fn stableSigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
