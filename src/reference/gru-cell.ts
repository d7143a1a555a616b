// CPU reference (float64): one time step of the cell of torch.nn.GRU, for B rows. Each row
// of a projection holds the three gate blocks of H stacked in PyTorch's order r, z, n:
//   [r̃ₓ, z̃ₓ, ñₓ] = W_ih x_t + b_ih,   [r̃ₕ, z̃ₕ, ñₕ] = W_hh h_{t−1} + b_hh    [B, 3H]; the driver computes both
//   r = σ(r̃ₓ + r̃ₕ),  z = σ(z̃ₓ + z̃ₕ)
//   n = tanh(ñₓ + r ⊙ ñₕ)        (b_hn is inside ñₕ, so r multiplies it too)
//   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
// Unlike the RNN and LSTM cells, the two projections get different gradients (the n block).
import { sigmoid } from './sigmoid.ts';
import { checkLength } from './validation.ts';

export interface GruCellStep {
  gates: Float64Array; // [B, 3H]: r, z, n after their activations
  hidden: Float64Array; // [B, H] h_t
}

export function gruCellForward(
  inputProjection: ArrayLike<number>,
  hiddenProjection: ArrayLike<number>,
  previousHidden: ArrayLike<number>,
  rows: number,
  hiddenSize: number,
): GruCellStep {
  const H = hiddenSize;
  checkLength('inputProjection', inputProjection, rows * 3 * H, `[B, 3H] = [${rows}, ${3 * H}]`);
  checkLength('hiddenProjection', hiddenProjection, rows * 3 * H, `[B, 3H] = [${rows}, ${3 * H}]`);
  checkLength('previousHidden', previousHidden, rows * H, `[B, H] = [${rows}, ${H}]`);
  const gates = new Float64Array(rows * 3 * H);
  const hidden = new Float64Array(rows * H);
  for (let b = 0; b < rows; b++) {
    const row = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(inputProjection[row + j] + hiddenProjection[row + j]);
      const z = sigmoid(inputProjection[row + H + j] + hiddenProjection[row + H + j]);
      const n = Math.tanh(inputProjection[row + 2 * H + j] + r * hiddenProjection[row + 2 * H + j]);
      gates[row + j] = r;
      gates[row + H + j] = z;
      gates[row + 2 * H + j] = n;
      hidden[b * H + j] = (1 - z) * n + z * previousHidden[b * H + j];
    }
  }
  return { gates, hidden };
}

/**
 * dh_t holds every use of h_t (the head or the layer above, and step t+1). Then
 *   dñ   = dh_t ⊙ (1 − z) ⊙ (1 − n²)          → dñₓ = dñ,  dñₕ = dñ ⊙ r
 *   dz̃   = dh_t ⊙ (h_{t−1} − n) ⊙ z ⊙ (1 − z)  → both projections
 *   dr̃   = dñ ⊙ ñₕ ⊙ r ⊙ (1 − r)               → both projections
 *   dh_{t−1} = dh_t ⊙ z  (the direct path; the driver adds dHiddenProjection · W_hh)
 * ñₕ is the n block of hiddenProjection = W_hh h_{t−1} + b_hh from the forward step.
 */
export function gruCellBackward(
  dHidden: ArrayLike<number>,
  gates: ArrayLike<number>,
  hiddenProjection: ArrayLike<number>,
  previousHidden: ArrayLike<number>,
  rows: number,
  hiddenSize: number,
): { dInputProjection: Float64Array; dHiddenProjection: Float64Array; dPreviousHidden: Float64Array } {
  const H = hiddenSize;
  checkLength('dHidden', dHidden, rows * H, `[B, H] = [${rows}, ${H}]`);
  checkLength('gates', gates, rows * 3 * H, `[B, 3H] = [${rows}, ${3 * H}]`);
  checkLength('hiddenProjection', hiddenProjection, rows * 3 * H, `[B, 3H] = [${rows}, ${3 * H}]`);
  checkLength('previousHidden', previousHidden, rows * H, `[B, H] = [${rows}, ${H}]`);
  const dInputProjection = new Float64Array(rows * 3 * H);
  const dHiddenProjection = new Float64Array(rows * 3 * H);
  const dPreviousHidden = new Float64Array(rows * H);
  for (let b = 0; b < rows; b++) {
    const row = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const r = gates[row + j];
      const z = gates[row + H + j];
      const n = gates[row + 2 * H + j];
      const dh = dHidden[k];
      const dn = dh * (1 - z) * (1 - n * n);
      const dz = dh * (previousHidden[k] - n) * z * (1 - z);
      const dr = dn * hiddenProjection[row + 2 * H + j] * r * (1 - r);
      dInputProjection[row + j] = dr;
      dInputProjection[row + H + j] = dz;
      dInputProjection[row + 2 * H + j] = dn;
      dHiddenProjection[row + j] = dr;
      dHiddenProjection[row + H + j] = dz;
      dHiddenProjection[row + 2 * H + j] = dn * r;
      dPreviousHidden[k] = dh * z;
    }
  }
  return { dInputProjection, dHiddenProjection, dPreviousHidden };
}
