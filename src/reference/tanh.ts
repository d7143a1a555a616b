// CPU reference (float64): the tanh activation.

/** out = tanh(x), with Math.tanh (finite for every finite x, e.g. ±300 → ±1). */
export function tanhForward(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
  return out;
}

/** dX = dOut ⊙ (1 − out²), where out = tanh(x) from tanhForward. */
export function tanhBackward(dOut: ArrayLike<number>, out: ArrayLike<number>): Float64Array {
  if (dOut.length !== out.length) {
    throw new Error(`dOut has length ${dOut.length}, expected ${out.length} (the length of out)`);
  }
  const dX = new Float64Array(out.length);
  for (let i = 0; i < out.length; i++) dX[i] = dOut[i] * (1 - out[i] * out[i]);
  return dX;
}
