// The reference's batch (see rnn.ts): what one run reads (inputs, targets, lengths, initial
// states, dropout masks), its checks, and which positions count towards the loss.
import { resolveDims, type ReferenceDims } from './parameters.ts';
import { REFERENCE_IGNORE_INDEX } from './softmax-cross-entropy.ts';
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
export function countedPositions(batch: ReferenceBatch): boolean[] {
  const { timeSteps: T, batchSize: B } = batch;
  return Array.from({ length: T * B }, (_, i) => !batch.lengths || Math.floor(i / B) < batch.lengths[i % B]);
}

/** The targets with every position past its sequence's length ignored. */
export function effectiveTargets(batch: ReferenceBatch): ArrayLike<number> {
  if (!batch.lengths) return batch.targets!;
  const { timeSteps: T, batchSize: B } = batch;
  const targets = Float64Array.from(batch.targets!);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= batch.lengths[b]) targets[t * B + b] = REFERENCE_IGNORE_INDEX;
  return targets;
}

export function checkBatch(dims: ReferenceDims, batch: ReferenceBatch): void {
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
