// CPU reference (float64): one time step of the Elman cell of torch.nn.RNN, for B rows
// (the GPU's rnnStepForward / rnnStepBackward, rnn_step.wgsl).
//   a_t = (W_ih x_t + b_ih) + (W_hh h_{t−1} + b_hh)      [B, H]; the driver computes both
//   h_t = φ(a_t),  φ = tanh (nonlinearity 'tanh') or max(0, ·) ('relu')
import { tanhBackward, tanhForward } from './tanh.ts';
import { checkLength } from './validation.ts';

export type RnnNonlinearity = 'tanh' | 'relu';

/** h_t = φ(inputProjection + hiddenProjection), elementwise over [B, H]. */
export function rnnStepForward(
  nonlinearity: RnnNonlinearity,
  inputProjection: ArrayLike<number>,
  hiddenProjection: ArrayLike<number>,
): Float64Array {
  checkLength('hiddenProjection', hiddenProjection, inputProjection.length, 'the length of inputProjection');
  const preactivations = new Float64Array(inputProjection.length);
  for (let i = 0; i < preactivations.length; i++) preactivations[i] = inputProjection[i] + hiddenProjection[i];
  if (nonlinearity === 'tanh') return tanhForward(preactivations);
  return preactivations.map((a) => Math.max(0, a));
}

/**
 * da_t = dh_t ⊙ φ'(a_t), written with h_t = φ(a_t):
 *   tanh: φ' = 1 − h_t²
 *   relu: φ' = [h_t > 0]   (0 at a_t = 0, as torch's threshold_backward)
 * dh_t holds every use of h_t (the head or the layer above, and step t+1). Both projections
 * are summed into a_t, so da_t is the gradient of each: the driver uses it for W_ih, b_ih
 * and the layer input as well as for W_hh, b_hh and h_{t−1}.
 */
export function rnnStepBackward(
  nonlinearity: RnnNonlinearity,
  dHidden: ArrayLike<number>,
  hidden: ArrayLike<number>,
): Float64Array {
  if (nonlinearity === 'tanh') return tanhBackward(dHidden, hidden);
  checkLength('dHidden', dHidden, hidden.length, 'the length of hidden');
  const dPreactivations = new Float64Array(hidden.length);
  for (let i = 0; i < hidden.length; i++) dPreactivations[i] = hidden[i] > 0 ? dHidden[i] : 0;
  return dPreactivations;
}
