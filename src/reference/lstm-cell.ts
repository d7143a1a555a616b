// CPU reference (float64): one time step of the cell of torch.nn.LSTM, for B rows. Each row
// of a projection holds the four gate blocks of H stacked in PyTorch's order i, f, g, o:
//   [ĩ, f̃, g̃, õ] = (W_ih x_t + b_ih) + (W_hh h_{t−1} + b_hh)    [B, 4H]; the driver computes both
//   i = σ(ĩ),  f = σ(f̃),  g = tanh(g̃),  o = σ(õ)
//   c_t = f ⊙ c_{t−1} + i ⊙ g
//   h_t = o ⊙ tanh(c_t)
import { sigmoid } from './sigmoid.ts';
import { checkLength } from './validation.ts';

export interface LstmCellStep {
  gates: Float64Array; // [B, 4H]: i, f, g, o after their activations
  cell: Float64Array; // [B, H] c_t
  hidden: Float64Array; // [B, H] h_t
}

/** `array` is [rows, width]; `widthName` says which width ('H' or '4H'). */
function checkRows(name: string, array: ArrayLike<number>, rows: number, width: number, widthName: string): void {
  checkLength(name, array, rows * width, `[B, ${widthName}] = [${rows}, ${width}]`);
}

export function lstmCellForward(
  inputProjection: ArrayLike<number>,
  hiddenProjection: ArrayLike<number>,
  previousCell: ArrayLike<number>,
  rows: number,
  hiddenSize: number,
): LstmCellStep {
  const H = hiddenSize;
  checkRows('inputProjection', inputProjection, rows, 4 * H, '4H');
  checkRows('hiddenProjection', hiddenProjection, rows, 4 * H, '4H');
  checkRows('previousCell', previousCell, rows, H, 'H');
  const gates = new Float64Array(rows * 4 * H);
  const cell = new Float64Array(rows * H);
  const hidden = new Float64Array(rows * H);
  for (let b = 0; b < rows; b++) {
    const row = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const preactivation = (gate: number) => inputProjection[row + gate * H + j] + hiddenProjection[row + gate * H + j];
      const i = sigmoid(preactivation(0));
      const f = sigmoid(preactivation(1));
      const g = Math.tanh(preactivation(2));
      const o = sigmoid(preactivation(3));
      gates[row + j] = i;
      gates[row + H + j] = f;
      gates[row + 2 * H + j] = g;
      gates[row + 3 * H + j] = o;
      const c = f * previousCell[b * H + j] + i * g;
      cell[b * H + j] = c;
      hidden[b * H + j] = o * Math.tanh(c);
    }
  }
  return { gates, cell, hidden };
}

/**
 * dh_t holds every use of h_t (the head or the layer above, and step t+1 through W_hh);
 * dc_t is what step t+1 returned as its dPreviousCell (zero after the last step). Then
 *   dc   = dc_t + dh_t ⊙ o ⊙ (1 − tanh²(c_t))     (c_t reaches the loss directly and through h_t)
 *   dõ   = dh_t ⊙ tanh(c_t) ⊙ o ⊙ (1 − o)
 *   dĩ   = dc ⊙ g ⊙ i ⊙ (1 − i)
 *   df̃   = dc ⊙ c_{t−1} ⊙ f ⊙ (1 − f)
 *   dg̃   = dc ⊙ i ⊙ (1 − g²)
 *   dc_{t−1} = dc ⊙ f
 * Both projections are summed into the pre-activations, so [dĩ, df̃, dg̃, dõ] is the gradient of
 * each: the driver uses it for W_ih, b_ih and the layer input as well as W_hh, b_hh and h_{t−1}.
 */
export function lstmCellBackward(
  dHidden: ArrayLike<number>,
  dCell: ArrayLike<number>,
  step: Pick<LstmCellStep, 'gates' | 'cell'>,
  previousCell: ArrayLike<number>,
  rows: number,
  hiddenSize: number,
): { dPreactivations: Float64Array; dPreviousCell: Float64Array } {
  const H = hiddenSize;
  const { gates, cell } = step;
  checkRows('dHidden', dHidden, rows, H, 'H');
  checkRows('dCell', dCell, rows, H, 'H');
  checkRows('gates', gates, rows, 4 * H, '4H');
  checkRows('cell', cell, rows, H, 'H');
  checkRows('previousCell', previousCell, rows, H, 'H');
  const dPreactivations = new Float64Array(rows * 4 * H);
  const dPreviousCell = new Float64Array(rows * H);
  for (let b = 0; b < rows; b++) {
    const row = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const i = gates[row + j];
      const f = gates[row + H + j];
      const g = gates[row + 2 * H + j];
      const o = gates[row + 3 * H + j];
      const tanhC = Math.tanh(cell[k]);
      const dc = dCell[k] + dHidden[k] * o * (1 - tanhC * tanhC);
      dPreactivations[row + j] = dc * g * i * (1 - i);
      dPreactivations[row + H + j] = dc * previousCell[k] * f * (1 - f);
      dPreactivations[row + 2 * H + j] = dc * i * (1 - g * g);
      dPreactivations[row + 3 * H + j] = dHidden[k] * tanhC * o * (1 - o);
      dPreviousCell[k] = dc * f;
    }
  }
  return { dPreactivations, dPreviousCell };
}
