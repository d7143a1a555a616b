// CPU reference (float64) for a stacked recurrent language model: torch.nn.RNN / LSTM / GRU
// (batch_first=False, num_layers = L) with a torch.nn.Linear head on the top layer's output
// at every step. This is the oracle the GPU path is tested against: plain loops, PyTorch
// conventions, proven against finite differences in test/reference-finite-differences.test.ts. The cells are
// in rnn-step.ts, lstm-cell.ts and gru-cell.ts; this file stacks them and runs BPTT.
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
import { gruCellBackward, gruCellForward } from './gru-cell.ts';
import { lstmCellBackward, lstmCellForward } from './lstm-cell.ts';
import {
  checkDims,
  checkParameters,
  GATES_PER_CELL,
  resolveDims,
  zeroGradients,
  type ReferenceCell,
  type ReferenceDims,
  type ReferenceParameters,
} from './parameters.ts';
import { rnnStepBackward, rnnStepForward } from './rnn-step.ts';
import { meanSquaredErrorBackward, meanSquaredErrorForward } from './mean-squared-error.ts';
import { REFERENCE_IGNORE_INDEX, softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax-cross-entropy.ts';
import { checkIndices, checkLength, checkPositiveInteger } from './validation.ts';

export interface ReferenceBatch {
  timeSteps: number; // T
  batchSize: number; // B
  /** [T·B] token ids in [0, inputSize), index t·B + b. Give this or `inputs`. */
  inputTokens?: ArrayLike<number>;
  /** [T·B·I] dense inputs, index (t·B + b)·I + i. Give this or `inputTokens`. */
  inputs?: ArrayLike<number>;
  /** [T·B] class ids in [0, outputSize), index t·B + b; REFERENCE_IGNORE_INDEX (−100) for no loss there. */
  targets?: ArrayLike<number>;
  /**
   * Regression instead of classification: [T·B·V] target values, index (t·B + b)·V + v;
   * the loss is then the mean squared error (torch.nn.MSELoss). Give this or `targets`.
   */
  targetValues?: ArrayLike<number>;
  /**
   * [B] the length of each sequence, in [1, T]: positions t ≥ lengths[b] give no loss
   * (their targets are ignored) and the final states are those at t = lengths[b] − 1.
   * All T if absent.
   */
  lengths?: ArrayLike<number>;
  /** [L·B·H] h_{−1} of every layer, index (k·B + b)·H + j; zero if absent. */
  initialHidden?: ArrayLike<number>;
  /** [L·B·H] c_{−1} of every layer, LSTM only; zero if absent. */
  initialCell?: ArrayLike<number>;
  /**
   * L−1 masks, each [T·B·H] indexed like the hidden states: mask k multiplies layer k's output
   * sequence where it feeds layer k+1 (values 0 or 1/(1−p); the reference just multiplies).
   * The top layer's output, and every finalHidden, is never masked. None if absent.
   */
  dropoutMasks?: ArrayLike<number>[];
}

/** Whether each position t·B + b lies within its sequence's length. */
function countedPositions(batch: ReferenceBatch): boolean[] {
  const { timeSteps: T, batchSize: B } = batch;
  return Array.from({ length: T * B }, (_, i) => !batch.lengths || Math.floor(i / B) < batch.lengths[i % B]);
}

/** The targets with every position past its sequence's length ignored. */
function effectiveTargets(batch: ReferenceBatch): ArrayLike<number> {
  if (!batch.lengths) return batch.targets!;
  const { timeSteps: T, batchSize: B } = batch;
  const targets = Float64Array.from(batch.targets!);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= batch.lengths[b]) targets[t * B + b] = REFERENCE_IGNORE_INDEX;
  return targets;
}

/** What the forward pass of one layer keeps for the backward pass. */
export interface ReferenceLayerForward {
  /** [T·B·H] what this layer read: layer k−1's masked outputs; undefined for layer 0 (the batch). */
  inputs: Float64Array | undefined;
  hiddenStates: Float64Array; // [(T+1)·B·H]; slot 0 = initial state, slot t+1 = h_t
  cellStates: Float64Array | undefined; // LSTM: [(T+1)·B·H], slots as hiddenStates
  gates: Float64Array; // [T·B·G·H] gates after their activations (RNN: h_t itself)
  hiddenProjections: Float64Array; // [T·B·G·H] W_hh h_{t−1} + b_hh (the GRU backward reads its n block)
}

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

function checkBatch(dims: ReferenceDims, batch: ReferenceBatch): void {
  const { timeSteps: T, batchSize: B } = batch;
  checkPositiveInteger('batch.timeSteps', T);
  checkPositiveInteger('batch.batchSize', B);
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L } = resolveDims(dims);
  const positions = `timeSteps·batchSize = ${T}·${B}`;
  if ((batch.inputTokens === undefined) === (batch.inputs === undefined)) {
    const given = batch.inputTokens === undefined ? 'neither was given' : 'both were given';
    throw new Error(`batch needs exactly one of batch.inputTokens and batch.inputs, but ${given}`);
  }
  if (batch.inputTokens !== undefined) {
    checkLength('batch.inputTokens', batch.inputTokens, T * B, positions);
    checkIndices('batch.inputTokens', batch.inputTokens, I, 'token id (dims.inputSize is the vocabulary size)');
  }
  if (batch.inputs !== undefined) {
    checkLength('batch.inputs', batch.inputs, T * B * I, `timeSteps·batchSize·inputSize = ${T}·${B}·${I}`);
  }
  if ((batch.targets === undefined) === (batch.targetValues === undefined)) {
    throw new Error(`batch needs exactly one of batch.targets and batch.targetValues, but ${batch.targets === undefined ? 'neither was given' : 'both were given'}`);
  }
  if (batch.targetValues !== undefined) checkLength('batch.targetValues', batch.targetValues, T * B * V, `timeSteps·batchSize·outputSize = ${T}·${B}·${V}`);
  const targets = batch.targets ?? [];
  if (batch.targets !== undefined) checkLength('batch.targets', batch.targets, T * B, positions);
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    if (target !== REFERENCE_IGNORE_INDEX && !(Number.isInteger(target) && target >= 0 && target < V)) {
      throw new Error(`batch.targets[${i}] is ${target}, expected a class index in [0, ${V}) (dims.outputSize) or ${REFERENCE_IGNORE_INDEX}`);
    }
  }
  if (batch.lengths !== undefined) {
    checkLength('batch.lengths', batch.lengths, B, `batchSize = ${B}`);
    for (let b = 0; b < B; b++) {
      const length = batch.lengths[b];
      if (!Number.isInteger(length) || length < 1 || length > T) throw new Error(`batch.lengths[${b}] is ${length}, expected an integer in [1, ${T}]`);
    }
  }
  const states = `layers·batchSize·hiddenSize = ${L}·${B}·${H}`;
  if (batch.initialHidden !== undefined) checkLength('batch.initialHidden', batch.initialHidden, L * B * H, states);
  if (batch.initialCell !== undefined) {
    if (cell !== 'lstm') {
      throw new Error(`batch.initialCell was given, but dims.cell is '${cell}': only 'lstm' has a cell state`);
    }
    checkLength('batch.initialCell', batch.initialCell, L * B * H, states);
  }
  if (batch.dropoutMasks !== undefined) {
    if (batch.dropoutMasks.length !== L - 1) {
      throw new Error(
        `batch.dropoutMasks has ${batch.dropoutMasks.length} masks, expected ${L - 1} (one between each pair of the ${L} layers)`,
      );
    }
    batch.dropoutMasks.forEach((mask, k) => {
      checkLength(`batch.dropoutMasks[${k}]`, mask, T * B * H, `timeSteps·batchSize·hiddenSize = ${T}·${B}·${H}`);
    });
  }
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

/** One step of any cell, forward: h_t (and c_t) from the two projections and the previous state. */
function cellStepForward(
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
function cellStepBackward(
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
