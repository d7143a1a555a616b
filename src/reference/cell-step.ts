// One time step of any cell for the reference's sequence driver (rnn.ts): the forward step
// picks the cell's own step (rnn-step.ts, lstm-cell.ts, gru-cell.ts), the backward step
// hands it what the forward pass kept for that step.
import { gruCellBackward, gruCellForward } from './gru-cell.ts';
import { lstmCellBackward, lstmCellForward } from './lstm-cell.ts';
import { GATES_PER_CELL, type ReferenceCell } from './parameters.ts';
import { rnnStepBackward, rnnStepForward } from './rnn-step.ts';

/** What the forward pass of one layer keeps for the backward pass. */
export interface ReferenceLayerForward {
  /** [T·B·H] what this layer read: layer k−1's masked outputs; undefined for layer 0 (the batch). */
  inputs: Float64Array | undefined;
  hiddenStates: Float64Array; // [(T+1)·B·H]; slot 0 = initial state, slot t+1 = h_t
  cellStates: Float64Array | undefined; // LSTM: [(T+1)·B·H], slots as hiddenStates
  gates: Float64Array; // [T·B·G·H] gates after their activations (RNN: h_t itself)
  hiddenProjections: Float64Array; // [T·B·G·H] W_hh h_{t−1} + b_hh (the GRU backward reads its n block)
}

/** One step of any cell, forward: h_t (and c_t) from the two projections and the previous state. */
export function cellStepForward(
  cell: ReferenceCell,
  inputProjection: Float64Array,
  hiddenProjection: Float64Array,
  previousHidden: Float64Array,
  previousCell: Float64Array | undefined,
  B: number,
  H: number,
): { gates: Float64Array; hidden: Float64Array; cell?: Float64Array } {
  switch (cell) {
    case 'rnn_tanh':
    case 'rnn_relu': {
      const hidden = rnnStepForward(cell === 'rnn_tanh' ? 'tanh' : 'relu', inputProjection, hiddenProjection);
      return { gates: hidden, hidden };
    }
    case 'lstm':
      return lstmCellForward(inputProjection, hiddenProjection, previousCell!, B, H);
    case 'gru':
      return gruCellForward(inputProjection, hiddenProjection, previousHidden, B, H);
  }
}

/**
 * One step of any cell, backward: the gradients of both projections, of h_{t−1} along paths
 * that skip W_hh (GRU: z ⊙ dh_t) and of c_{t−1} (LSTM).
 */
export function cellStepBackward(
  cell: ReferenceCell,
  dHidden: Float64Array,
  dCell: Float64Array | undefined,
  layer: ReferenceLayerForward,
  t: number,
  B: number,
  H: number,
): { dInputProjection: Float64Array; dHiddenProjection: Float64Array; dPreviousHidden?: Float64Array; dPreviousCell?: Float64Array } {
  const BH = B * H;
  const BGH = B * GATES_PER_CELL[cell] * H;
  const gates = layer.gates.subarray(t * BGH, (t + 1) * BGH);
  switch (cell) {
    case 'rnn_tanh':
    case 'rnn_relu': {
      const dPreactivations = rnnStepBackward(cell === 'rnn_tanh' ? 'tanh' : 'relu', dHidden, gates);
      return { dInputProjection: dPreactivations, dHiddenProjection: dPreactivations };
    }
    case 'lstm': {
      const cellStates = layer.cellStates!;
      const { dPreactivations, dPreviousCell } = lstmCellBackward(
        dHidden,
        dCell!,
        { gates, cell: cellStates.subarray((t + 1) * BH, (t + 2) * BH) },
        cellStates.subarray(t * BH, (t + 1) * BH),
        B,
        H,
      );
      return { dInputProjection: dPreactivations, dHiddenProjection: dPreactivations, dPreviousCell };
    }
    case 'gru': {
      const hiddenProjection = layer.hiddenProjections.subarray(t * BGH, (t + 1) * BGH);
      const previousHidden = layer.hiddenStates.subarray(t * BH, (t + 1) * BH);
      return gruCellBackward(dHidden, gates, hiddenProjection, previousHidden, B, H);
    }
  }
}
