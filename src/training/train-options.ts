/**
 * The training loop's options, what it reports, and their checks: an unknown
 * option or a bad value throws an InvalidArgumentError before any GPU work.
 */
import type { SequenceBatch } from '../model/batch.ts';
import { describeValue, InvalidArgumentError, rejectUnknownKeys, requirePositiveInteger } from '../validation.ts';

/**
 * Batches cut char-rnn style (TextBatches is one): batch k+1 of an epoch
 * continues each of its B streams where batch k stopped.
 */
export interface StreamBatches {
  readonly timeSteps: number;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  batch(index: number): SequenceBatch;
}

/** A loss at an optimizer step (nats per character for character models). */
export interface LossPoint {
  step: number;
  loss: number;
}

export interface TrainProgress {
  /** The optimizer step just taken (the model's step count). */
  step: number;
  /** The step count training stops at. */
  targetStep: number;
  /** 1-based epoch of this step, and its batch in the epoch (1..batchesPerEpoch). */
  epoch: number;
  batchInEpoch: number;
  batchesPerEpoch: number;
  /** This step's training loss. */
  loss: number;
  /** Since train() was called. */
  elapsedSeconds: number;
  /** Training characters (T·B per step) per second since train() was called. */
  charactersPerSecond: number;
  /** The latest validation loss (taken at this step when it is a validation step), if any. */
  validationLoss?: number;
}

export interface ValidationReport {
  step: number;
  /** Mean loss over the validation batches. */
  loss: number;
  elapsedSeconds: number;
}

export interface TrainOptions {
  /** The training batches (e.g. `new TextBatches(tokens, T, B)`). */
  batches: StreamBatches;
  /** Train until the model's step count reaches this (resumed models continue to it). Give steps or epochs. */
  steps?: number;
  /** Or: this many passes over `batches`, from where the model's step count stands. */
  epochs?: number;
  /** Truncated BPTT: each chunk starts from the previous chunk's final states, from zero at every epoch's start (default true). */
  carry?: boolean;
  /** Read the loss and call onProgress every this many steps, and at the first and last (default 10). */
  progressEvery?: number;
  onProgress?: (progress: TrainProgress) => void | Promise<void>;
  /** Held-out batches: their mean loss every `validateEvery` steps and at the end. */
  validation?: StreamBatches;
  /** Steps between validations (default 100). */
  validateEvery?: number;
  /** Use only the first this many validation batches (default all). */
  validationBatchLimit?: number;
  /** Validation carries its own state across its chunks (default: as `carry`). */
  validationCarry?: boolean;
  onValidation?: (report: ValidationReport) => void | Promise<void>;
  /** Steps between onCheckpoint calls; it is also called once when training ends (stopped or done). */
  checkpointEvery?: number;
  /** Saves the model, e.g. `model.saveCheckpoint()` and a file write; awaited before training goes on. */
  onCheckpoint?: (at: { step: number }) => void | Promise<void>;
  /** Steps between onSample calls (not at the last step). */
  sampleEvery?: number;
  /** May run the model (e.g. sampleText): training continues from its own state afterwards. */
  onSample?: (at: { step: number }) => void | Promise<void>;
  /** Stops after the step in progress (then validates and checkpoints as at the end). */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Steps this call took. */
  stepsTaken: number;
  /** The model's step count at the end. */
  step: number;
  /** 'aborted' when the signal stopped it before the target. */
  stopped: 'completed' | 'aborted';
  /**
   * Steps of this call whose update was skipped because their loss or gradients were not
   * finite (the model's onNonFinite 'skip'); a run whose loss diverged shows it here.
   */
  skippedUpdates: number;
  /** The losses read at the progress steps. */
  trainingLosses: LossPoint[];
  validationLosses: LossPoint[];
  elapsedSeconds: number;
}

const OPTION_KEYS = [
  'batches',
  'steps',
  'epochs',
  'carry',
  'progressEvery',
  'onProgress',
  'validation',
  'validateEvery',
  'validationBatchLimit',
  'validationCarry',
  'onValidation',
  'checkpointEvery',
  'onCheckpoint',
  'sampleEvery',
  'onSample',
  'signal',
];

export interface CheckedTrainOptions {
  batches: StreamBatches;
  steps?: number;
  epochs?: number;
  carry: boolean;
  progressEvery: number;
  onProgress?: TrainOptions['onProgress'];
  validation?: StreamBatches;
  validateEvery: number;
  validationBatchLimit?: number;
  validationCarry: boolean;
  onValidation?: TrainOptions['onValidation'];
  checkpointEvery: number;
  onCheckpoint?: TrainOptions['onCheckpoint'];
  sampleEvery: number;
  onSample?: TrainOptions['onSample'];
  signal?: AbortSignal;
}

/** Options of evaluateStreams. */
export interface EvaluateStreamsOptions {
  /** Batch k > 0 starts from batch k−1's final states (default true). */
  carry?: boolean;
  /** Evaluate at most this many batches, the first ones (default all of an epoch). */
  count?: number;
}

/** evaluateStreams' arguments, checked: how many of the batches to evaluate, carrying or not. */
export function checkEvaluateStreams(batches: unknown, options: unknown): { carry: boolean; count: number } {
  const checkedBatches = requireStreamBatches('batches', batches);
  const o = (options === undefined ? {} : options) as EvaluateStreamsOptions;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidArgumentError('options', `got ${describeValue(options)}, expected nothing or an object with carry, count`);
  rejectUnknownKeys('options', o, ['carry', 'count']);
  const count = o.count === undefined ? checkedBatches.batchesPerEpoch : requirePositiveInteger('options.count', o.count);
  return { carry: optionalBoolean('options.carry', o.carry, true), count: Math.min(count, checkedBatches.batchesPerEpoch) };
}

function requireStreamBatches(argument: string, value: unknown): StreamBatches {
  const batches = value as Partial<StreamBatches> | undefined;
  if (typeof batches !== 'object' || batches === null || typeof batches.batch !== 'function') {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected stream batches such as a TextBatches (batch(index), batchesPerEpoch, timeSteps, batchSize)`);
  }
  for (const key of ['batchesPerEpoch', 'timeSteps', 'batchSize'] as const) requirePositiveInteger(`${argument}.${key}`, batches[key]);
  return batches as StreamBatches;
}

function optionalFunction<T>(argument: string, value: unknown): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a function`);
  return value as T | undefined;
}

function optionalBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected true or false`);
  return value;
}

/** A positive integer, or 0 (= never) where `zeroAllowed`. */
function optionalCount(argument: string, value: unknown, fallback: number, zeroAllowed = false): number {
  if (value === undefined) return fallback;
  if (zeroAllowed && value === 0) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected a positive integer${zeroAllowed ? ' or 0 (never)' : ''}`);
  }
  return value;
}

export function validateTrainOptions(options: TrainOptions): CheckedTrainOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', `got ${describeValue(options)}, expected an object`);
  rejectUnknownKeys('options', options, OPTION_KEYS);
  const batches = requireStreamBatches('options.batches', options.batches);
  if ((options.steps === undefined) === (options.epochs === undefined)) {
    throw new InvalidArgumentError('options.steps', `got steps ${describeValue(options.steps)} and epochs ${describeValue(options.epochs)}, expected exactly one of them`);
  }
  const steps = options.steps === undefined ? undefined : requirePositiveInteger('options.steps', options.steps);
  const epochs = options.epochs === undefined ? undefined : requirePositiveInteger('options.epochs', options.epochs);
  const validation = options.validation === undefined ? undefined : requireStreamBatches('options.validation', options.validation);
  const carry = optionalBoolean('options.carry', options.carry, true);
  const onCheckpoint = optionalFunction<TrainOptions['onCheckpoint']>('options.onCheckpoint', options.onCheckpoint);
  const onSample = optionalFunction<TrainOptions['onSample']>('options.onSample', options.onSample);
  const checkpointEvery = optionalCount('options.checkpointEvery', options.checkpointEvery, 0, true);
  const sampleEvery = optionalCount('options.sampleEvery', options.sampleEvery, 0, true);
  if (checkpointEvery > 0 && !onCheckpoint) throw new InvalidArgumentError('options.checkpointEvery', 'given without onCheckpoint, which does the saving');
  if (sampleEvery > 0 && !onSample) throw new InvalidArgumentError('options.sampleEvery', 'given without onSample, which does the sampling');
  for (const key of ['validateEvery', 'validationBatchLimit', 'validationCarry', 'onValidation'] as const) {
    if (options[key] !== undefined && !validation) throw new InvalidArgumentError(`options.${key}`, 'given without options.validation');
  }
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgumentError('options.signal', `got ${describeValue(signal)}, expected an AbortSignal`);
  }
  return {
    batches,
    steps,
    epochs,
    carry,
    progressEvery: optionalCount('options.progressEvery', options.progressEvery, 10),
    onProgress: optionalFunction('options.onProgress', options.onProgress),
    validation,
    validateEvery: optionalCount('options.validateEvery', options.validateEvery, 100),
    validationBatchLimit: options.validationBatchLimit === undefined ? undefined : requirePositiveInteger('options.validationBatchLimit', options.validationBatchLimit),
    validationCarry: optionalBoolean('options.validationCarry', options.validationCarry, carry),
    onValidation: optionalFunction('options.onValidation', options.onValidation),
    checkpointEvery,
    onCheckpoint,
    sampleEvery,
    onSample,
    signal,
  };
}
