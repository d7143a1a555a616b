// CPU reference (float64) for a stacked recurrent language model: torch.nn.RNN / LSTM / GRU
// (batch_first=False, num_layers = L) with a torch.nn.Linear head on the top layer's output
// at every step. This is the oracle the GPU path is tested against: plain loops, PyTorch
// conventions, proven against finite differences in test/reference-finite-differences.test.ts. The cells are
// in rnn-step.ts, lstm-cell.ts and gru-cell.ts (one step of any of them: cell-step.ts), the
// batch and its checks in rnn-batch.ts; this file stacks the layers and runs BPTT.
//
//   x⁰_t = x_t;  x^k_t = m^{k−1}_t ⊙ h^{k−1}_t for k > 0   (m = dropout mask, 1 if absent)
//   (h^k_t, c^k_t) = cell(W_ih^k x^k_t + b_ih^k,  W_hh^k h^k_{t−1} + b_hh^k,  h^k_{t−1}, c^k_{t−1})
//   y_t = W_y h^{L−1}_t + b_y                                 (logits)
//   loss = mean over the T·B positions of −log softmax(y_t[b])[target[t, b]]
//
// Data is time-major: position (t, b) is row t·B + b. States are layer-major, like PyTorch's
// h0 / h_n [L, B, H]: element (k·B + b)·H + j.
import { addInPlace } from './linear-algebra.ts';
import { embeddingBackward, embeddingForward, embeddingRowsBackward, embeddingRowsForward } from './embedding.ts';
import { linearBackward, linearForward } from './linear.ts';
import { cellStepBackward, cellStepForward, type ReferenceLayerForward } from './cell-step.ts';
import {
  checkDims,
  checkParameters,
  GATES_PER_CELL,
  resolveDims,
  zeroGradients,
  type ReferenceDims,
  type ReferenceParameters,
} from './parameters.ts';
import { checkBatch, countedPositions, effectiveTargets, type ReferenceBatch } from './rnn-batch.ts';
import { meanSquaredErrorBackward, meanSquaredErrorForward } from './mean-squared-error.ts';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax-cross-entropy.ts';
import { checkLength } from './validation.ts';

export type { ReferenceLayerForward } from './cell-step.ts';
export type { ReferenceBatch } from './rnn-batch.ts';

export interface ReferenceForward {
  hiddenStates: Float64Array; // TOP layer, [(T+1)·B·H]; slot 0 = its initial state, slot t+1 = h_t
  logits: Float64Array; // [T·B·V]
  loss: number; // mean cross-entropy over the T·B positions
  finalHidden: Float64Array; // [L·B·H] = h_{T−1} of every layer
  finalCell?: Float64Array; // LSTM: [L·B·H] = c_{T−1} of every layer
  layers: ReferenceLayerForward[]; // [L], bottom first
}

/** dLoss/d(initial states), returned by rnnBackward. */
export interface ReferenceStateGradients {
  dInitialHidden: Float64Array; // [L·B·H]
  dInitialCell?: Float64Array; // LSTM: [L·B·H]
}

function checkForward(dims: ReferenceDims, batch: ReferenceBatch, forward: ReferenceForward): void {
  const { timeSteps: T, batchSize: B } = batch;
  const { hiddenSize: H, outputSize: V, cell, layers: L } = resolveDims(dims);
  const GH = GATES_PER_CELL[cell] * H;
  const states = `(timeSteps+1)·batchSize·hiddenSize = ${T + 1}·${B}·${H}`;
  const steps = `timeSteps·batchSize·gates·hiddenSize = ${T}·${B}·${GATES_PER_CELL[cell]}·${H}`;
  checkLength('forward.hiddenStates', forward.hiddenStates, (T + 1) * B * H, states);
  checkLength('forward.logits', forward.logits, T * B * V, `timeSteps·batchSize·outputSize = ${T}·${B}·${V}`);
  if (!Array.isArray(forward.layers) || forward.layers.length !== L) {
    throw new Error(`forward.layers has ${forward.layers?.length} entries, expected ${L} (dims.layers): pass what rnnForward returned`);
  }
  forward.layers.forEach((layer, k) => {
    checkLength(`forward.layers[${k}].hiddenStates`, layer.hiddenStates, (T + 1) * B * H, states);
    checkLength(`forward.layers[${k}].gates`, layer.gates, T * B * GH, steps);
    checkLength(`forward.layers[${k}].hiddenProjections`, layer.hiddenProjections, T * B * GH, steps);
    if (cell === 'lstm') checkLength(`forward.layers[${k}].cellStates`, layer.cellStates ?? [], (T + 1) * B * H, states);
    if (k > 0) checkLength(`forward.layers[${k}].inputs`, layer.inputs ?? [], T * B * H, `timeSteps·batchSize·hiddenSize = ${T}·${B}·${H}`);
  });
}

/** Layer k's [B·H] block of a layer-major [L·B·H] state. */
function layerState(states: ArrayLike<number>, k: number, BH: number): Float64Array {
  const block = new Float64Array(BH);
  for (let i = 0; i < BH; i++) block[i] = states[k * BH + i];
  return block;
}

export function rnnForward(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): ReferenceForward {
  checkDims(dims);
  checkParameters('params', params, dims);
  checkBatch(dims, batch);
  const { timeSteps: T, batchSize: B } = batch;
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L, embeddingSize: D } = resolveDims(dims);
  const GH = GATES_PER_CELL[cell] * H; // width of a projection row
  const N = T * B; // positions
  const BH = B * H; // one time step of hidden state
  const BGH = B * GH; // one time step of a projection

  const layers: ReferenceLayerForward[] = [];
  let layerInputs: Float64Array | undefined; // x^k for k > 0, [N, H]; with an embedding also x^0 = E[token], [N, D]
  if (D > 0) {
    if (batch.inputTokens === undefined) throw new Error('dims.embeddingSize needs token inputs (batch.inputTokens)');
    layerInputs = embeddingRowsForward(batch.inputTokens, params['embedding.weight'], N, D);
  }
  for (let k = 0; k < L; k++) {
    const weightIh = params[`weight_ih_l${k}`];
    const weightHh = params[`weight_hh_l${k}`];
    // Single bias: b takes b_ih's place and b_hh is zero (the same sum for rnn and lstm).
    const biasIh = params[dims.singleBias ? `bias_l${k}` : `bias_ih_l${k}`];
    const biasHh = dims.singleBias ? new Float64Array(GH) : params[`bias_hh_l${k}`];
    // Input projections for all time steps, lifted out of the loop: U[t·B+b] = W_ih x_t[b] + b_ih
    const inputProjections =
      k > 0
        ? linearForward(layerInputs!, weightIh, biasIh, N, H, GH)
        : D > 0
          ? linearForward(layerInputs!, weightIh, biasIh, N, D, GH)
          : batch.inputTokens !== undefined
          ? embeddingForward(batch.inputTokens, weightIh, biasIh, N, I, GH)
          : linearForward(batch.inputs!, weightIh, biasIh, N, I, GH);

    const hiddenStates = new Float64Array((T + 1) * BH);
    if (batch.initialHidden !== undefined) hiddenStates.set(layerState(batch.initialHidden, k, BH));
    let cellStates: Float64Array | undefined;
    if (cell === 'lstm') {
      cellStates = new Float64Array((T + 1) * BH);
      if (batch.initialCell !== undefined) cellStates.set(layerState(batch.initialCell, k, BH));
    }
    const gates = new Float64Array(T * BGH);
    const hiddenProjections = new Float64Array(T * BGH);
    for (let t = 0; t < T; t++) {
      const previousHidden = hiddenStates.subarray(t * BH, (t + 1) * BH);
      // W_hh h_{t−1} + b_hh
      const hiddenProjection = linearForward(previousHidden, weightHh, biasHh, B, H, GH);
      hiddenProjections.set(hiddenProjection, t * BGH);
      const step = cellStepForward(
        cell,
        inputProjections.subarray(t * BGH, (t + 1) * BGH),
        hiddenProjection,
        previousHidden,
        cellStates?.subarray(t * BH, (t + 1) * BH),
        B,
        H,
      );
      gates.set(step.gates, t * BGH);
      hiddenStates.set(step.hidden, (t + 1) * BH);
      if (cellStates !== undefined) cellStates.set(step.cell!, (t + 1) * BH);
    }
    layers.push({ inputs: layerInputs, hiddenStates, cellStates, gates, hiddenProjections });

    // x^{k+1} = m^k ⊙ h^k (h_0..h_{T−1})
    if (k < L - 1) {
      layerInputs = hiddenStates.slice(BH);
      const mask = batch.dropoutMasks?.[k];
      if (mask !== undefined) for (let i = 0; i < layerInputs.length; i++) layerInputs[i] *= mask[i];
    }
  }

  // Head over all time steps, lifted out of the loop: y = W_y h + b_y
  const hiddenStates = layers[L - 1].hiddenStates;
  const logits = linearForward(hiddenStates.subarray(BH), params.weight, params.bias, N, H, V);
  const loss = batch.targetValues
    ? meanSquaredErrorForward(logits, batch.targetValues, countedPositions(batch), V)
    : softmaxCrossEntropyForward(logits, effectiveTargets(batch), N, V).loss;
  // Final states: each sequence's state at its own last step, slot lengths[b].
  const finalStates = (slots: (layer: ReferenceLayerForward) => Float64Array) => {
    const states = new Float64Array(L * BH);
    layers.forEach((layer, k) => {
      for (let b = 0; b < B; b++) {
        const slot = batch.lengths ? batch.lengths[b] : T;
        states.set(slots(layer).subarray(slot * BH + b * H, slot * BH + (b + 1) * H), k * BH + b * H);
      }
    });
    return states;
  };
  const forward: ReferenceForward = { hiddenStates, logits, loss, finalHidden: finalStates((layer) => layer.hiddenStates), layers };
  if (cell === 'lstm') forward.finalCell = finalStates((layer) => layer.cellStates!);
  return forward;
}

/**
 * Backpropagation through time, top layer first, over t = T−1..0 in each layer; ADDS dLoss/dθ
 * into `gradients` and returns the gradients of the initial states.
 */
export function rnnBackward(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
  forward: ReferenceForward,
  gradients: ReferenceParameters,
): ReferenceStateGradients {
  checkDims(dims);
  checkParameters('params', params, dims);
  checkParameters('gradients', gradients, dims);
  checkBatch(dims, batch);
  checkForward(dims, batch, forward);
  const { timeSteps: T, batchSize: B } = batch;
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L, embeddingSize: D } = resolveDims(dims);
  const GH = GATES_PER_CELL[cell] * H;
  const N = T * B;
  const BH = B * H;
  const BGH = B * GH;

  // Head: dy = (softmax(y) − onehot(target)) / N;  dW_y += dyᵀ h;  db_y += Σ dy;  dh_t = dy W_y
  const dLogits = batch.targetValues
    ? meanSquaredErrorBackward(forward.logits, batch.targetValues, countedPositions(batch), V)
    : softmaxCrossEntropyBackward(forward.logits, effectiveTargets(batch), N, V);
  // dHiddenStates: same slots as the layer's hiddenStates; slot t+1 starts as dh_t from above
  let dHiddenStates = new Float64Array((T + 1) * BH);
  linearBackward(dLogits, forward.hiddenStates.subarray(BH), params.weight, N, H, V, {
    dInput: dHiddenStates.subarray(BH),
    dWeight: gradients.weight,
    dBias: gradients.bias,
  });

  const dInitialHidden = new Float64Array(L * BH);
  const dInitialCell = cell === 'lstm' ? new Float64Array(L * BH) : undefined;
  for (let k = L - 1; k >= 0; k--) {
    const layer = forward.layers[k];
    const weightIh = params[`weight_ih_l${k}`];
    const weightHh = params[`weight_hh_l${k}`];
    const dInputProjections = new Float64Array(N * GH);
    const dHiddenProjections = new Float64Array(N * GH);
    let dCell: Float64Array | undefined = cell === 'lstm' ? new Float64Array(BH) : undefined; // dc_t from step t+1
    for (let t = T - 1; t >= 0; t--) {
      const step = cellStepBackward(cell, dHiddenStates.subarray((t + 1) * BH, (t + 2) * BH), dCell, layer, t, B, H);
      dInputProjections.set(step.dInputProjection, t * BGH);
      dHiddenProjections.set(step.dHiddenProjection, t * BGH);
      const dPreviousHidden = dHiddenStates.subarray(t * BH, (t + 1) * BH);
      if (step.dPreviousHidden !== undefined) addInPlace(dPreviousHidden, step.dPreviousHidden);
      dCell = step.dPreviousCell;
      // dh_{t−1} += dHiddenProjection_t W_hh
      linearBackward(step.dHiddenProjection, layer.hiddenStates.subarray(t * BH, (t + 1) * BH), weightHh, B, H, GH, {
        dInput: dPreviousHidden,
      });
    }
    dInitialHidden.set(dHiddenStates.subarray(0, BH), k * BH);
    if (dInitialCell !== undefined) dInitialCell.set(dCell!, k * BH);

    // Weight gradients over all time steps, lifted out of the loop:
    // dW_hh += Σ_t dHPᵀ h_{t−1};  db_hh += Σ_t dHP;  dW_ih += Σ_t dIPᵀ x_t;  db_ih += Σ_t dIP
    linearBackward(dHiddenProjections, layer.hiddenStates.subarray(0, N * H), weightHh, N, H, GH, {
      dWeight: gradients[`weight_hh_l${k}`],
      dBias: dims.singleBias ? undefined : gradients[`bias_hh_l${k}`],
    });
    const inputGradients = { dWeight: gradients[`weight_ih_l${k}`], dBias: gradients[dims.singleBias ? `bias_l${k}` : `bias_ih_l${k}`] };
    if (k === 0) {
      if (D > 0) {
        // dx^0 = dIP W_ih;  dE[token] += dx^0 (a scatter-add over positions)
        const dEmbedded = new Float64Array(N * D);
        linearBackward(dInputProjections, layer.inputs!, weightIh, N, D, GH, { ...inputGradients, dInput: dEmbedded });
        embeddingRowsBackward(dEmbedded, batch.inputTokens!, N, D, gradients['embedding.weight']);
      } else if (batch.inputTokens !== undefined) {
        embeddingBackward(dInputProjections, batch.inputTokens, N, I, GH, inputGradients);
      } else {
        linearBackward(dInputProjections, batch.inputs!, weightIh, N, I, GH, inputGradients);
      }
    } else {
      // dx^k = dIP W_ih, and x^k = m^{k−1} ⊙ h^{k−1}, so layer k−1 gets dh_t = m ⊙ dx_t from above
      const dLayerInputs = new Float64Array(N * H);
      linearBackward(dInputProjections, layer.inputs!, weightIh, N, H, GH, { ...inputGradients, dInput: dLayerInputs });
      const mask = batch.dropoutMasks?.[k - 1];
      if (mask !== undefined) for (let i = 0; i < dLayerInputs.length; i++) dLayerInputs[i] *= mask[i];
      dHiddenStates = new Float64Array((T + 1) * BH);
      dHiddenStates.set(dLayerInputs, BH);
    }
  }
  return dInitialCell === undefined ? { dInitialHidden } : { dInitialHidden, dInitialCell };
}

/** Forward, then backward into fresh zero gradients. */
export function rnnLossAndGradients(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): {
  loss: number;
  gradients: ReferenceParameters;
  finalHidden: Float64Array;
  finalCell?: Float64Array;
  logits: Float64Array;
  hiddenStates: Float64Array;
  dInitialHidden: Float64Array;
  dInitialCell?: Float64Array;
} {
  const forward = rnnForward(params, dims, batch);
  const gradients = zeroGradients(dims);
  const stateGradients = rnnBackward(params, dims, batch, forward, gradients);
  const { loss, finalHidden, finalCell, logits, hiddenStates } = forward;
  return {
    loss,
    gradients,
    finalHidden,
    logits,
    hiddenStates,
    ...stateGradients,
    ...(finalCell !== undefined ? { finalCell } : {}),
  };
}
