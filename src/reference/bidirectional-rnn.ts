// CPU reference (float64) for a stacked BIDIRECTIONAL recurrent model: torch.nn.RNN / LSTM / GRU
// with bidirectional=True (batch_first=False, num_layers = L) and a torch.nn.Linear head of
// 2H inputs. Written on its own, one sequence at a time, as packed sequences run: direction
// d = 0 reads sequence b forward over t = 0..len_b−1, direction d = 1 (the `_reverse`
// parameters) reads it backward over t = len_b−1..0, each from its own initial state.
//
//   x⁰_t = x_t;  x^k_t = m^{k−1}_t ⊙ y^{k−1}_t for k > 0        (m = dropout mask over 2H, 1 if absent)
//   y^k_t = [h^{k,fwd}_t, h^{k,rev}_t]                            (2H; zero past len_b, as pad_packed_sequence)
//   h_n[2k + d] = h^{k,d} after its last step (fwd: t = len_b−1, rev: t = 0)
//   per-position head:  z_t = W_y y^{L−1}_t + b_y,  loss = mean over counted positions
//   many-to-one head:   z_b = W_y [h_n[2L−2], h_n[2L−1]]_b + b_y,  loss = mean over b
//
// Parameters: layer k has weight_ih_l{k} [G·H, I_k], weight_hh_l{k} [G·H, H], bias_ih_l{k},
// bias_hh_l{k} [G·H] and the same four with the suffix `_reverse`; I_0 = I (or D with an
// embedding), I_k = 2H above. States: [2L, B, H], element ((2k + d)·B + b)·H + j.
import { addInPlace } from './linear-algebra.ts';
import { linearBackward, linearForward } from './linear.ts';
import { gruCellBackward, gruCellForward } from './gru-cell.ts';
import { lstmCellBackward, lstmCellForward } from './lstm-cell.ts';
import { meanSquaredErrorBackward, meanSquaredErrorForward } from './mean-squared-error.ts';
import { GATES_PER_CELL, resolveDims, type ReferenceDims, type ReferenceParameters } from './parameters.ts';
import { rnnStepBackward, rnnStepForward } from './rnn-step.ts';
import { REFERENCE_IGNORE_INDEX, softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax-cross-entropy.ts';
import { checkLength } from './validation.ts';

export const DIRECTION_SUFFIXES = ['', '_reverse'] as const;

export interface BidirectionalBatch {
  timeSteps: number; // T
  batchSize: number; // B
  inputTokens?: ArrayLike<number>; // [T·B]
  inputs?: ArrayLike<number>; // [T·B·I]
  /** [T·B] per-position classes (REFERENCE_IGNORE_INDEX for none). Or sequenceTargets, or targetValues. */
  targets?: ArrayLike<number>;
  /** [B] one class per sequence: the head reads both directions' final top-layer states. */
  sequenceTargets?: ArrayLike<number>;
  /** [T·B·V] regression targets (mean squared error over counted positions). */
  targetValues?: ArrayLike<number>;
  lengths?: ArrayLike<number>; // [B] in [1, T]; T if absent
  initialHidden?: ArrayLike<number>; // [2L·B·H]
  initialCell?: ArrayLike<number>; // LSTM [2L·B·H]
  dropoutMasks?: ArrayLike<number>[]; // L−1 masks of [T·B·2H]
}

/** Name → shape, in PyTorch's state_dict order: per layer the forward four, then the `_reverse` four; the head. */
export function bidirectionalParameterShapes(dims: ReferenceDims): Record<string, number[]> {
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L, embeddingSize: D } = resolveDims(dims);
  const GH = GATES_PER_CELL[cell] * H;
  const shapes: Record<string, number[]> = {};
  if (D > 0) shapes['embedding.weight'] = [I, D];
  for (let k = 0; k < L; k++) {
    for (const suffix of DIRECTION_SUFFIXES) {
      shapes[`weight_ih_l${k}${suffix}`] = [GH, k > 0 ? 2 * H : D > 0 ? D : I];
      shapes[`weight_hh_l${k}${suffix}`] = [GH, H];
      shapes[`bias_ih_l${k}${suffix}`] = [GH];
      shapes[`bias_hh_l${k}${suffix}`] = [GH];
    }
  }
  shapes.weight = [V, 2 * H];
  shapes.bias = [V];
  return shapes;
}

export function bidirectionalZeroGradients(dims: ReferenceDims): ReferenceParameters {
  return Object.fromEntries(Object.entries(bidirectionalParameterShapes(dims)).map(([name, shape]) => [name, new Float64Array(shape.reduce((a, b) => a * b, 1))]));
}

/** One step of one direction of one sequence, kept for the backward pass. */
interface StepRecord {
  t: number;
  input: Float64Array; // x_t [I_k]
  previousHidden: Float64Array; // [H]
  previousCell?: Float64Array; // LSTM [H]
  hiddenProjection: Float64Array; // W_hh h_{t−1} + b_hh [GH]
  gates: Float64Array; // after activations (RNN: h_t)
  cell?: Float64Array; // LSTM c_t
}

export interface BidirectionalForward {
  loss: number;
  /** Per-position heads: [T·B·V] (zero rows past a length); many-to-one: [B·V]. */
  logits: Float64Array;
  /** The top layer's outputs y [T·B·2H], zero past each length (PyTorch's padded output). */
  outputs: Float64Array;
  finalHidden: Float64Array; // [2L·B·H]
  finalCell?: Float64Array;
  /** records[k][d][b]: the steps in the order that direction ran them. */
  records: StepRecord[][][][];
  /** The input each layer read, [T·B·I_k]. */
  layerInputs: Float64Array[];
}

function lengthOf(batch: BidirectionalBatch, b: number): number {
  return batch.lengths ? batch.lengths[b] : batch.timeSteps;
}

function cellForward(cell: string, ip: Float64Array, hp: Float64Array, h: Float64Array, c: Float64Array | undefined, H: number): { gates: Float64Array; hidden: Float64Array; cell?: Float64Array } {
  if (cell === 'lstm') return lstmCellForward(ip, hp, c!, 1, H);
  if (cell === 'gru') return gruCellForward(ip, hp, h, 1, H);
  const hidden = rnnStepForward(cell === 'rnn_relu' ? 'relu' : 'tanh', ip, hp);
  return { gates: hidden, hidden, cell: undefined };
}

function headRows(batch: BidirectionalBatch, dims: ReferenceDims, outputs: Float64Array, finalHidden: Float64Array): { rows: number; input: Float64Array } {
  const { hiddenSize: H, layers: L } = resolveDims(dims);
  const { timeSteps: T, batchSize: B } = batch;
  if (!batch.sequenceTargets) return { rows: T * B, input: outputs };
  const input = new Float64Array(B * 2 * H);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < 2; d++) input.set(finalHidden.subarray(((2 * (L - 1) + d) * B + b) * H, ((2 * (L - 1) + d) * B + b + 1) * H), b * 2 * H + d * H);
  }
  return { rows: B, input };
}

function lossTargets(batch: BidirectionalBatch): Float64Array {
  const { timeSteps: T, batchSize: B } = batch;
  if (batch.sequenceTargets) return Float64Array.from(batch.sequenceTargets);
  const targets = new Float64Array(T * B).fill(REFERENCE_IGNORE_INDEX);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengthOf(batch, b) && batch.targets) targets[t * B + b] = batch.targets[t * B + b];
  return targets;
}

function countedPositions(batch: BidirectionalBatch): boolean[] {
  const B = batch.batchSize;
  return Array.from({ length: batch.timeSteps * B }, (_, i) => Math.floor(i / B) < lengthOf(batch, i % B));
}

export function bidirectionalForward(params: ReferenceParameters, dims: ReferenceDims, batch: BidirectionalBatch): BidirectionalForward {
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L, embeddingSize: D } = resolveDims(dims);
  const { timeSteps: T, batchSize: B } = batch;
  for (const [name, shape] of Object.entries(bidirectionalParameterShapes(dims))) {
    if (!params[name]) throw new Error(`params.${name} is missing, expected shape [${shape}]`);
    checkLength(`params.${name}`, params[name], shape.reduce((a, b) => a * b, 1), `shape [${shape}]`);
  }
  const GH = GATES_PER_CELL[cell] * H;
  // x⁰ as a dense [T·B, W] sequence: one-hot rows, embedding rows or the dense inputs.
  let width = D > 0 ? D : I;
  let input = new Float64Array(T * B * width);
  for (let n = 0; n < T * B; n++) {
    if (batch.inputTokens === undefined) input.set(Array.from({ length: I }, (_, i) => batch.inputs![n * I + i]), n * I);
    else if (D > 0) input.set(params['embedding.weight'].subarray(batch.inputTokens[n] * D, (batch.inputTokens[n] + 1) * D), n * D);
    else input[n * I + batch.inputTokens[n]] = 1;
  }
  const finalHidden = new Float64Array(2 * L * B * H);
  const finalCell = cell === 'lstm' ? new Float64Array(2 * L * B * H) : undefined;
  const records: StepRecord[][][][] = [];
  const layerInputs: Float64Array[] = [];
  let outputs = new Float64Array(0);
  for (let k = 0; k < L; k++) {
    layerInputs.push(input);
    outputs = new Float64Array(T * B * 2 * H);
    records.push([]);
    for (let d = 0; d < 2; d++) {
      const name = (base: string) => params[`${base}_l${k}${DIRECTION_SUFFIXES[d]}`];
      const state = (2 * k + d) * B;
      records[k].push([]);
      for (let b = 0; b < B; b++) {
        const steps: StepRecord[] = [];
        let h: Float64Array = new Float64Array(H);
        let c: Float64Array | undefined = cell === 'lstm' ? new Float64Array(H) : undefined;
        if (batch.initialHidden) h = Float64Array.from({ length: H }, (_, j) => batch.initialHidden![(state + b) * H + j]);
        if (c && batch.initialCell) c = Float64Array.from({ length: H }, (_, j) => batch.initialCell![(state + b) * H + j]);
        const length = lengthOf(batch, b);
        for (let s = 0; s < length; s++) {
          const t = d === 0 ? s : length - 1 - s;
          const x = input.slice((t * B + b) * width, (t * B + b + 1) * width);
          const ip = linearForward(x, name('weight_ih'), name('bias_ih'), 1, width, GH);
          const hp = linearForward(h, name('weight_hh'), name('bias_hh'), 1, H, GH);
          const step = cellForward(cell, ip, hp, h, c, H);
          steps.push({ t, input: x, previousHidden: h, previousCell: c, hiddenProjection: hp, gates: step.gates, cell: step.cell });
          h = step.hidden;
          c = step.cell;
          outputs.set(h, (t * B + b) * 2 * H + d * H);
        }
        finalHidden.set(h, (state + b) * H);
        if (finalCell) finalCell.set(c!, (state + b) * H);
        records[k][d].push(steps);
      }
    }
    input = outputs.slice();
    width = 2 * H;
    const mask = batch.dropoutMasks?.[k];
    if (k < L - 1 && mask) for (let i = 0; i < input.length; i++) input[i] *= mask[i];
  }
  const head = headRows(batch, dims, outputs, finalHidden);
  const logits = linearForward(head.input, params.weight, params.bias, head.rows, 2 * H, V);
  const loss = batch.targetValues
    ? meanSquaredErrorForward(logits, batch.targetValues, countedPositions(batch), V)
    : softmaxCrossEntropyForward(logits, lossTargets(batch), head.rows, V).loss;
  return { loss, logits, outputs, finalHidden, finalCell, records, layerInputs };
}

export interface BidirectionalResult extends BidirectionalForward {
  gradients: ReferenceParameters;
  dInitialHidden: Float64Array; // [2L·B·H]
  dInitialCell?: Float64Array;
}

/** Forward, then backpropagation through time of both directions into fresh zero gradients. */
export function bidirectionalLossAndGradients(params: ReferenceParameters, dims: ReferenceDims, batch: BidirectionalBatch): BidirectionalResult {
  const forward = bidirectionalForward(params, dims, batch);
  const { inputSize: I, hiddenSize: H, outputSize: V, cell, layers: L, embeddingSize: D } = resolveDims(dims);
  const { timeSteps: T, batchSize: B } = batch;
  const GH = GATES_PER_CELL[cell] * H;
  const gradients = bidirectionalZeroGradients(dims);
  const dInitialHidden = new Float64Array(2 * L * B * H);
  const dInitialCell = cell === 'lstm' ? new Float64Array(2 * L * B * H) : undefined;

  // Head: dz from the loss; dW_y += dzᵀ y; db_y += Σ dz; dy = dz W_y.
  const head = headRows(batch, dims, forward.outputs, forward.finalHidden);
  const dLogits = batch.targetValues
    ? meanSquaredErrorBackward(forward.logits, batch.targetValues, countedPositions(batch), V)
    : softmaxCrossEntropyBackward(forward.logits, lossTargets(batch), head.rows, V);
  const dHead = new Float64Array(head.rows * 2 * H);
  linearBackward(dLogits, head.input, params.weight, head.rows, 2 * H, V, { dInput: dHead, dWeight: gradients.weight, dBias: gradients.bias });
  // dOutputs: dL/dy^k_t [T·B·2H]; dFinal: dL/dh_n [2L·B·H] (many-to-one only)
  let dOutputs = batch.sequenceTargets ? new Float64Array(T * B * 2 * H) : dHead;
  const dFinal = new Float64Array(2 * L * B * H);
  if (batch.sequenceTargets) {
    for (let b = 0; b < B; b++) for (let d = 0; d < 2; d++) dFinal.set(dHead.subarray(b * 2 * H + d * H, b * 2 * H + (d + 1) * H), ((2 * (L - 1) + d) * B + b) * H);
  }
  for (let k = L - 1; k >= 0; k--) {
    const width = k > 0 ? 2 * H : D > 0 ? D : I;
    const dInputs = new Float64Array(T * B * width);
    for (let d = 0; d < 2; d++) {
      const suffix = DIRECTION_SUFFIXES[d];
      const weightIh = params[`weight_ih_l${k}${suffix}`];
      const weightHh = params[`weight_hh_l${k}${suffix}`];
      const state = (2 * k + d) * B;
      for (let b = 0; b < B; b++) {
        let dh: Float64Array = dFinal.slice((state + b) * H, (state + b + 1) * H); // dL/dh from later steps of this direction
        let dc: Float64Array | undefined = cell === 'lstm' ? new Float64Array(H) : undefined;
        const steps = forward.records[k][d][b];
        for (let s = steps.length - 1; s >= 0; s--) {
          const step = steps[s];
          const n = step.t * B + b;
          addInPlace(dh, dOutputs.subarray(n * 2 * H + d * H, n * 2 * H + (d + 1) * H));
          let dIp: Float64Array;
          let dHp: Float64Array;
          let dSkip: Float64Array | undefined; // GRU: z ⊙ dh_t, the path around W_hh
          if (cell === 'lstm') {
            const back = lstmCellBackward(dh, dc!, { gates: step.gates, cell: step.cell! }, step.previousCell!, 1, H);
            dIp = dHp = back.dPreactivations;
            dc = back.dPreviousCell;
          } else if (cell === 'gru') {
            const back = gruCellBackward(dh, step.gates, step.hiddenProjection, step.previousHidden, 1, H);
            dIp = back.dInputProjection;
            dHp = back.dHiddenProjection;
            dSkip = back.dPreviousHidden;
          } else {
            dIp = dHp = rnnStepBackward(cell === 'rnn_relu' ? 'relu' : 'tanh', dh, step.gates);
          }
          const dInput = new Float64Array(width);
          linearBackward(dIp, step.input, weightIh, 1, width, GH, { dInput, dWeight: gradients[`weight_ih_l${k}${suffix}`], dBias: gradients[`bias_ih_l${k}${suffix}`] });
          addInPlace(dInputs.subarray(n * width, (n + 1) * width), dInput);
          dh = new Float64Array(H);
          linearBackward(dHp, step.previousHidden, weightHh, 1, H, GH, { dInput: dh, dWeight: gradients[`weight_hh_l${k}${suffix}`], dBias: gradients[`bias_hh_l${k}${suffix}`] });
          if (dSkip) addInPlace(dh, dSkip);
        }
        dInitialHidden.set(dh, (state + b) * H);
        if (dInitialCell) dInitialCell.set(dc!, (state + b) * H);
      }
    }
    if (k > 0) {
      const mask = batch.dropoutMasks?.[k - 1];
      if (mask) for (let i = 0; i < dInputs.length; i++) dInputs[i] *= mask[i];
      dOutputs = dInputs;
    } else if (batch.inputTokens !== undefined) {
      // One-hot inputs had no gradient to pass on; an embedding gets dE[token] += dx.
      if (D > 0) for (let n = 0; n < T * B; n++) addInPlace(gradients['embedding.weight'].subarray(batch.inputTokens[n] * D, (batch.inputTokens[n] + 1) * D), dInputs.subarray(n * D, (n + 1) * D));
    }
  }
  return { ...forward, gradients, dInitialHidden, ...(dInitialCell ? { dInitialCell } : {}) };
}
