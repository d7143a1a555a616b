/**
 * A batch of sequences, time-major, and its validation against the model.
 */
import {
  InvalidArgumentError,
  describeValue,
  rejectUnknownKeys,
  requireFiniteFloats,
  requireIndices,
  requirePositiveInteger,
} from '../validation.ts';
import type { ResolvedConfig } from './config.ts';

export interface SequenceBatch {
  /** Time steps T. */
  timeSteps: number;
  /** Sequences processed side by side, B. */
  batchSize: number;
  /** Token ids (models with vocabularySize), time-major: element t·B + b. */
  inputTokens?: ArrayLike<number>;
  /** Dense inputs (models with inputSize), time-major: element (t·B + b)·I + i. */
  inputs?: ArrayLike<number>;
  /** Target classes, time-major: element t·B + b. Required for training. */
  targets?: ArrayLike<number>;
  /**
   * Initial hidden state [L, B, H] (layer-major, as PyTorch's h0). Zero when
   * absent. 'carry' starts from the final states of the previous run (same batch
   * size), kept on the GPU: the hidden state, and for LSTM the cell state too.
   */
  initialHidden?: ArrayLike<number> | 'carry';
  /** LSTM only: initial cell state [L, B, H] (as PyTorch's c0). Zero when absent; carried with 'carry'. */
  initialCell?: ArrayLike<number>;
}

export interface ValidatedBatch {
  timeSteps: number;
  batchSize: number;
  tokens?: Uint32Array;
  inputs?: Float32Array;
  targets?: Uint32Array;
  initialHidden?: Float32Array | 'carry';
  initialCell?: Float32Array;
}

const BATCH_KEYS = ['timeSteps', 'batchSize', 'inputTokens', 'inputs', 'targets', 'initialHidden', 'initialCell'];

export function validateBatch(batch: SequenceBatch, config: ResolvedConfig, needsTargets: boolean): ValidatedBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new InvalidArgumentError('batch', `got ${describeValue(batch)}, expected an object { timeSteps, batchSize, inputTokens | inputs, targets }`);
  }
  rejectUnknownKeys('batch', batch, BATCH_KEYS);
  const timeSteps = requirePositiveInteger('batch.timeSteps', batch.timeSteps);
  const batchSize = requirePositiveInteger('batch.batchSize', batch.batchSize);
  const positions = timeSteps * batchSize;
  const positionsMeaning = `timeSteps × batchSize = ${timeSteps} × ${batchSize}`;
  const validated: ValidatedBatch = { timeSteps, batchSize };

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

  if (batch.targets !== undefined) {
    validated.targets = requireIndices('batch.targets', batch.targets, positions, positionsMeaning, config.outputSize, 'outputSize');
  } else if (needsTargets) {
    throw new InvalidArgumentError('batch.targets', 'missing; training needs a target class for every position');
  }

  const stateLength = config.layers * batchSize * config.hiddenSize;
  const stateMeaning = `layers × batchSize × hiddenSize = ${config.layers} × ${batchSize} × ${config.hiddenSize}`;
  if (batch.initialHidden === 'carry') {
    validated.initialHidden = 'carry';
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
  return validated;
}
