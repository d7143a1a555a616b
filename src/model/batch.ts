/**
 * A batch of sequences, time-major, and its validation against the model.
 */
import {
  InvalidArgumentError,
  describeValue,
  isPlainObject,
  rejectUnknownKeys,
  requireFiniteFloats,
  requireIndices,
  requireLength,
  requirePositiveInteger,
} from '../validation.ts';
import { IGNORED_TARGET } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';
import { SIZE_LIMITS } from './size-limits.ts';

/** Class indices in [0, classes) or IGNORE_INDEX (mapped to IGNORED_TARGET), as Uint32Array. */
function requireTargets(argument: string, value: unknown, length: number, lengthMeaning: string, classes: number): Uint32Array {
  const array = Array.isArray(value) || ArrayBuffer.isView(value) ? (value as ArrayLike<number>) : undefined;
  if (!array) throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected an array of class indices`);
  if (array.length !== length) throw new InvalidArgumentError(argument, `got length ${array.length}, expected ${length} (${lengthMeaning})`);
  const targets = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const target = array[i];
    if (target === IGNORE_INDEX) targets[i] = IGNORED_TARGET;
    else if (Number.isInteger(target) && target >= 0 && target < classes) targets[i] = target;
    else throw new InvalidArgumentError(argument, `element ${i} is ${describeValue(target)}, expected an integer in [0, ${classes}) (outputSize) or ${IGNORE_INDEX} to ignore it`);
  }
  return targets;
}

export interface SequenceBatch {
  /** Time steps T. */
  timeSteps: number;
  /** Sequences processed side by side, B. */
  batchSize: number;
  /** Token ids (models with vocabularySize), time-major: element t·B + b. */
  inputTokens?: ArrayLike<number>;
  /** Dense inputs (models with inputSize), time-major: element (t·B + b)·I + i. */
  inputs?: ArrayLike<number>;
  /**
   * Target classes, time-major: element t·B + b, IGNORE_INDEX (−100, PyTorch's
   * default) where a position has no loss. Training needs targets or sequenceTargets.
   */
  targets?: ArrayLike<number>;
  /** Models with loss 'mse': the regression targets [T·B·V], time-major: element (t·B + b)·V + v. */
  targetValues?: ArrayLike<number>;
  /**
   * Many-to-one: one class per sequence [B], the loss taken at each sequence's
   * last step (t = lengths[b] − 1, or T − 1). Instead of `targets`.
   */
  sequenceTargets?: ArrayLike<number>;
  /**
   * Per-sequence lengths [B] in [1, T] for batches of unequal sequences, padded at
   * the end: positions t ≥ lengths[b] give no loss and no gradient, and the final
   * states (and 'carry') are those of each sequence's own last step.
   */
  lengths?: ArrayLike<number>;
  /**
   * Initial hidden state [L, B, H] (layer-major, as PyTorch's h0; [2L, B, H] for bidirectional models). Zero when
   * absent. 'carry' starts from the final states of the previous run on the same
   * state stream (RunOptions.stream; same batch size), kept on the GPU: the hidden
   * state, and for LSTM the cell state too.
   */
  initialHidden?: ArrayLike<number> | 'carry';
  /** LSTM only: initial cell state [L, B, H] (as PyTorch's c0). Zero when absent; carried with 'carry'. */
  initialCell?: ArrayLike<number>;
  /**
   * With initialHidden 'carry': rows (sequence indices) whose carried states start
   * from zero instead, e.g. where a new document begins in truncated BPTT. The
   * reset happens on the GPU; nothing is read back.
   */
  resetRows?: ArrayLike<number>;
}

export interface ValidatedBatch {
  timeSteps: number;
  batchSize: number;
  tokens?: Uint32Array;
  inputs?: Float32Array;
  /** Class per position, IGNORED_TARGET where a position has no loss (for 'mse': 0 or IGNORED_TARGET, a flag). */
  targets?: Uint32Array;
  targetValues?: Float32Array;
  /** Positions with a target. */
  countedTargets: number;
  lengths?: Uint32Array;
  initialHidden?: Float32Array | 'carry';
  initialCell?: Float32Array;
  resetRows?: Uint32Array;
  /** One target per sequence (sequenceTargets): a bidirectional head reads both directions' final states. */
  manyToOne?: boolean;
}

const BATCH_KEYS = ['timeSteps', 'batchSize', 'inputTokens', 'inputs', 'targets', 'targetValues', 'sequenceTargets', 'lengths', 'initialHidden', 'initialCell', 'resetRows'];

/** A target that gives no loss (PyTorch's default ignore_index). */
export const IGNORE_INDEX = -100;

export function validateBatch(batch: SequenceBatch, config: ResolvedConfig, needsTargets: boolean): ValidatedBatch {
  if (!isPlainObject(batch)) {
    throw new InvalidArgumentError('batch', `got ${describeValue(batch)}, expected an object { timeSteps, batchSize, inputTokens | inputs, targets }`);
  }
  rejectUnknownKeys('batch', batch, BATCH_KEYS);
  const timeSteps = requirePositiveInteger('batch.timeSteps', batch.timeSteps, SIZE_LIMITS.timeSteps);
  const batchSize = requirePositiveInteger('batch.batchSize', batch.batchSize, SIZE_LIMITS.batchSize);
  const positions = timeSteps * batchSize;
  const positionsMeaning = `timeSteps × batchSize = ${timeSteps} × ${batchSize}`;
  const validated: ValidatedBatch = { timeSteps, batchSize, countedTargets: 0 };

  if (config.inputKind === 'tokens') {
    if (batch.inputs !== undefined) {
      throw new InvalidArgumentError('batch.inputs', 'given to a token-input model (created with vocabularySize); pass batch.inputTokens');
    }
    if (batch.inputTokens === undefined) throw new InvalidArgumentError('batch.inputTokens', 'missing; this model takes token ids');
    validated.tokens = requireIndices('batch.inputTokens', batch.inputTokens, positions, positionsMeaning, config.inputSize, 'vocabularySize');
  } else {
    if (batch.inputTokens !== undefined) {
      throw new InvalidArgumentError('batch.inputTokens', 'given to a dense-input model (created with inputSize); pass batch.inputs');
    }
    if (batch.inputs === undefined) throw new InvalidArgumentError('batch.inputs', 'missing; this model takes dense inputs');
    validated.inputs = requireFiniteFloats(
      'batch.inputs',
      batch.inputs,
      positions * config.inputSize,
      `${positionsMeaning} positions × inputSize ${config.inputSize}`,
    );
  }

  if (batch.lengths !== undefined) {
    const lengths = requireLength('batch.lengths', batch.lengths, batchSize, 'batchSize');
    validated.lengths = new Uint32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const length = lengths[b];
      if (!Number.isInteger(length) || length < 1 || length > timeSteps) {
        throw new InvalidArgumentError('batch.lengths', `element ${b} is ${describeValue(length)}, expected a length in [1, ${timeSteps}] (1 to timeSteps)`);
      }
      validated.lengths[b] = length;
    }
  }
  if (config.loss === 'mse') {
    if (batch.targets !== undefined || batch.sequenceTargets !== undefined) {
      throw new InvalidArgumentError(batch.targets !== undefined ? 'batch.targets' : 'batch.sequenceTargets', "given to a model with loss 'mse'; pass batch.targetValues");
    }
    if (batch.targetValues !== undefined) {
      validated.targetValues = requireFiniteFloats('batch.targetValues', batch.targetValues, positions * config.outputSize, `${positionsMeaning} positions × outputSize ${config.outputSize}`);
      validated.targets = new Uint32Array(positions);
      if (validated.lengths) {
        for (let t = 0; t < timeSteps; t++) for (let b = 0; b < batchSize; b++) if (t >= validated.lengths[b]) validated.targets[t * batchSize + b] = IGNORED_TARGET;
      }
    } else if (needsTargets) {
      throw new InvalidArgumentError('batch.targetValues', "missing; a model with loss 'mse' trains on target values");
    }
  } else if (batch.targetValues !== undefined) {
    throw new InvalidArgumentError('batch.targetValues', "given to a model with loss 'cross-entropy'; pass batch.targets (class indices)");
  } else if (batch.targets !== undefined && batch.sequenceTargets !== undefined) {
    throw new InvalidArgumentError('batch.sequenceTargets', 'given with batch.targets; give one: targets per position, or one per sequence');
  }
  if (config.loss === 'mse') {
    // The position flags are set above with the target values.
  } else if (batch.targets !== undefined) {
    validated.targets = requireTargets('batch.targets', batch.targets, positions, positionsMeaning, config.outputSize);
    if (validated.lengths) {
      for (let t = 0; t < timeSteps; t++) {
        for (let b = 0; b < batchSize; b++) if (t >= validated.lengths[b]) validated.targets[t * batchSize + b] = IGNORED_TARGET;
      }
    }
  } else if (batch.sequenceTargets !== undefined) {
    const perSequence = requireIndices('batch.sequenceTargets', batch.sequenceTargets, batchSize, 'batchSize', config.outputSize, 'outputSize');
    validated.targets = new Uint32Array(positions).fill(IGNORED_TARGET);
    for (let b = 0; b < batchSize; b++) {
      const last = (validated.lengths ? validated.lengths[b] : timeSteps) - 1;
      validated.targets[last * batchSize + b] = perSequence[b];
    }
    validated.manyToOne = true;
  } else if (needsTargets) {
    throw new InvalidArgumentError('batch.targets', 'missing; a run with a loss (trainStep, evaluate, computeGradients) needs targets (one per position) or sequenceTargets (one per sequence)');
  }
  if (validated.targets) {
    validated.countedTargets = validated.targets.reduce((count, target) => count + (target === IGNORED_TARGET ? 0 : 1), 0);
    if (validated.countedTargets === 0) throw new InvalidArgumentError('batch.targets', 'every position is ignored or past its sequence\'s length, so there is no loss');
  }

  const stateBlocks = config.layers * config.directions;
  const stateLength = stateBlocks * batchSize * config.hiddenSize;
  const stateMeaning = config.bidirectional
    ? `layers·2 (bidirectional) × batchSize × hiddenSize = ${stateBlocks} × ${batchSize} × ${config.hiddenSize}`
    : `layers × batchSize × hiddenSize = ${config.layers} × ${batchSize} × ${config.hiddenSize}`;
  if (batch.initialHidden === 'carry' && config.bidirectional) {
    throw new InvalidArgumentError('batch.initialHidden', "'carry' given to a bidirectional model; its reverse direction starts at each sequence's end, so there is no state to carry into a next chunk (give an array [layers·2, B, H] or nothing)");
  }
  if (batch.initialHidden === 'carry') {
    validated.initialHidden = 'carry';
  } else if (typeof batch.initialHidden === 'string') {
    throw new InvalidArgumentError('batch.initialHidden', `got ${describeValue(batch.initialHidden)}, expected 'carry' (the stream's last final states) or an array of numbers [${stateMeaning}]`);
  } else if (batch.initialHidden !== undefined) {
    validated.initialHidden = requireFiniteFloats('batch.initialHidden', batch.initialHidden, stateLength, stateMeaning);
  }
  if (batch.initialCell !== undefined) {
    if (config.cell !== 'lstm') {
      throw new InvalidArgumentError('batch.initialCell', `given to a '${config.cell}' model; only LSTM has a cell state`);
    }
    if (validated.initialHidden === 'carry') {
      throw new InvalidArgumentError('batch.initialCell', "given with initialHidden 'carry', which carries the cell state too");
    }
    validated.initialCell = requireFiniteFloats('batch.initialCell', batch.initialCell, stateLength, stateMeaning);
  }
  if (batch.resetRows !== undefined) {
    if (validated.initialHidden !== 'carry') {
      throw new InvalidArgumentError('batch.resetRows', "given without initialHidden 'carry'; rows start from zero or from initialHidden otherwise");
    }
    const rows = Array.isArray(batch.resetRows) || ArrayBuffer.isView(batch.resetRows) ? (batch.resetRows as ArrayLike<number>).length : -1;
    validated.resetRows = requireIndices('batch.resetRows', batch.resetRows, Math.max(rows, 0), 'any number of rows', batchSize, 'batchSize');
  }
  return validated;
}
