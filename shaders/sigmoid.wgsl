// The logistic function in a form that never overflows, on four values at once
// (component-wise; a kernel on single values puts its value in every lane):
//   σ(x) = 1 / (1 + e^{−x})  for x ≥ 0,   e^{x} / (1 + e^{x})  for x < 0,
// both with e = exp(−|x|) ≤ 1 (exp(−x) for x ≥ 0, exp(x) for x < 0, exactly).
fn stableSigmoid4(x: vec4<f32>) -> vec4<f32> {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= vec4<f32>(0.0));
}
