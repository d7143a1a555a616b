// tanh and its derivative.
//
// stableTanh never overflows: for |x| >= 0.1 it uses tanh|x| = (1 - e) / (1 + e)
// with e = exp(-2|x|) <= 1 (so x = ±300 gives ±1, never NaN as exp(2x) / (exp(2x) + 1)
// would); below that the series x - x³/3 + 2x⁵/15 avoids the cancellation in 1 - e
// (its first omitted term, 17x⁷/315, is below 6e-8 relative there).
// The derivative uses (1 − h)(1 + h) rather than 1 − h², which keeps its relative
// accuracy when |h| is close to 1.

fn stableTanh(x: f32) -> f32 {
  let magnitude = abs(x);
  if (magnitude < 0.1) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0)));
  }
  let e = exp(-2.0 * magnitude);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// stableTanh on four values at once, component-wise: both forms computed, the one for
// each |x| selected (no branch), with the same operations, so each lane's result is
// stableTanh's bit for bit.
fn stableTanh4(x: vec4<f32>) -> vec4<f32> {
  let magnitude = abs(x);
  let x2 = x * x;
  let series = x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0)));
  let e = exp(-2.0 * magnitude);
  return select(sign(x) * (1.0 - e) / (1.0 + e), series, magnitude < vec4<f32>(0.1));
}

// Backward through h = tanh(a), from the saved output:  dA = dH ⊙ (1 − h²)
fn tanhBackwardFromOutput(dOutput: f32, output: f32) -> f32 {
  return dOutput * ((1.0 - output) * (1.0 + output));
}

// tanhBackwardFromOutput on four values at once (the same operations).
fn tanhBackwardFromOutput4(dOutput: vec4<f32>, output: vec4<f32>) -> vec4<f32> {
  return dOutput * ((1.0 - output) * (1.0 + output));
}
