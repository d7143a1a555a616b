/**
 * Checks of the option objects and arguments of RnnModel's public methods other
 * than the config and the batch (config.ts, batch.ts): each function checks one
 * method's arguments and throws an InvalidArgumentError naming what is wrong,
 * before the method does anything. RnnModel calls them on its first line.
 */
import { SafetensorsError } from '../io/safetensors.ts';
import {
  describeValue,
  InvalidArgumentError,
  isPlainObject,
  POSITIVE_FLOAT32,
  requireFiniteFloats,
  requireFloat32,
  requireOneOf,
  requireOptions,
  requirePositiveInteger,
} from '../validation.ts';
import { type SequenceBatch, validateBatch } from './batch.ts';
import type { ResolvedConfig, RnnModelConfig } from './config.ts';
import { resolveOptimizer } from './optimizer.ts';
import { SIZE_LIMITS } from './size-limits.ts';
import type { ParameterLayout, ParameterView } from './parameter-layout.ts';

/** Temperatures below this are greedy in effect; for greedy decoding use topK: 1. */
export const TEMPERATURE_MIN = 1e-6;
/** softmax(z / T): T from TEMPERATURE_MIN up to the float32 maximum (1/T goes to the GPU). */
export const TEMPERATURE_RANGE = { low: TEMPERATURE_MIN, high: POSITIVE_FLOAT32.high, meaning: `at least ${TEMPERATURE_MIN}; for greedy decoding use topK: 1` };

export function checkTemperature(argument: string, value: unknown): number {
  return requireFloat32(argument, value, TEMPERATURE_RANGE);
}

/** setLearningRate: a positive normal float32. */
export function checkLearningRate(value: unknown): number {
  return requireFloat32('learningRate', value, POSITIVE_FLOAT32);
}

/** The rate a schedule gives step t must be a finite float32 (a 'step' schedule with gamma > 1 grows without bound). */
export function checkScheduledLearningRate(step: number, rate: number): void {
  if (!(Math.fround(rate) <= POSITIVE_FLOAT32.high)) {
    throw new InvalidArgumentError(
      'config.schedule',
      `gives step ${step} a learning rate of ${rate}, above the float32 maximum ${POSITIVE_FLOAT32.high}; the step was not run (lower gamma or the learning rate)`,
    );
  }
}

/**
 * writeParameters: a plain object of arrays by parameter name. Names are looked up as
 * own properties only ('constructor' or 'toString' is an unknown name, not a built-in),
 * and every array is checked before anything is written.
 */
export function checkParameterValues(values: unknown, layout: ParameterLayout): { view: ParameterView; data: Float32Array }[] {
  const known = () => layout.views.map((v) => v.name).join(', ');
  if (!isPlainObject(values)) {
    const hint = values instanceof Map ? ' (for a Map, pass Object.fromEntries(map))' : '';
    throw new InvalidArgumentError('parameters', `got ${describeValue(values)}, expected a plain object of arrays by parameter name${hint}: ${known()}`);
  }
  return Object.entries(values).map(([name, array]) => {
    const view = Object.hasOwn(layout.byName, name) ? layout.byName[name] : undefined;
    if (!view) throw new InvalidArgumentError(`parameters.${name}`, `unknown parameter; expected one of ${known()}`);
    return { view, data: requireFiniteFloats(`parameters.${name}`, array, view.length, `shape [${view.shape.join(', ')}]`) };
  });
}

/** A GPU context from createGpuContext: refused when missing, or a Promise that was not awaited. */
export function checkContext(context: unknown): void {
  const candidate = context as { device?: unknown; throwIfFaulted?: unknown } | null | undefined;
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.throwIfFaulted === 'function' && typeof candidate.device === 'object') return;
  const hint = typeof (candidate as { then?: unknown } | null)?.then === 'function' ? '; await createGpuContext() before passing its result' : '';
  throw new InvalidArgumentError('context', `got ${describeValue(context)}, expected a GpuContext from createGpuContext()${hint}`);
}

/** fromWeights(context, bytes, options): options hold only `optimizer` and `inputKind`. */
export function checkFromWeightsArguments(context: unknown, options: unknown): void {
  checkContext(context);
  const checked = requireOptions('options', options, ['optimizer', 'inputKind'], true);
  if (checked.optimizer !== undefined) resolveOptimizer(checked.optimizer, 'options.optimizer');
  if (checked.inputKind !== undefined) requireOneOf('options.inputKind', checked.inputKind, ['tokens', 'dense'] as const);
}

export interface TrainingState {
  config: RnnModelConfig;
  optimizerStep: number;
  trainingRuns: number;
  lossWrites: number;
  gradientPasses: number;
}

const TRAINING_STATE_KEYS = ['config', 'optimizerStep', 'trainingRuns', 'lossWrites', 'gradientPasses'] as const;

/**
 * A checkpoint's training_state metadata: JSON of { config, optimizerStep, trainingRuns,
 * lossWrites }, the counters integers ≥ 0. Anything else is a SafetensorsError (the file is
 * damaged), never an internal TypeError; the config itself is checked with the tensors.
 */
export function checkTrainingState(metadata: Record<string, string>): TrainingState {
  const text = Object.hasOwn(metadata, 'training_state') ? metadata.training_state : undefined;
  if (text === undefined) throw new SafetensorsError("the checkpoint has no training_state metadata");
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw new SafetensorsError("the checkpoint's training_state metadata is not valid JSON");
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new SafetensorsError(`the checkpoint's training_state is ${describeValue(state)}, expected an object { ${TRAINING_STATE_KEYS.join(', ')} }`);
  }
  const fields = state as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(TRAINING_STATE_KEYS as readonly string[]).includes(key)) throw new SafetensorsError(`the checkpoint's training_state has an unknown field '${key}'; expected ${TRAINING_STATE_KEYS.join(', ')}`);
  }
  // gradientPasses (computeGradients' dropout draws) is absent from older checkpoints: 0.
  fields.gradientPasses ??= 0;
  for (const counter of ['optimizerStep', 'trainingRuns', 'lossWrites', 'gradientPasses'] as const) {
    const value = fields[counter];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new SafetensorsError(`the checkpoint's training_state.${counter} is ${describeValue(value)}, expected an integer ≥ 0`);
    }
  }
  const config = fields.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new SafetensorsError(`the checkpoint's training_state.config is ${describeValue(config)}, expected the model's config object`);
  }
  return fields as unknown as TrainingState;
}

/**
 * saveWeights / saveCheckpoint (and exportOnnx's options.metadata, named by `argument`): extra
 * metadata is a plain object of strings (a string would spread into {"0": …}).
 */
export function checkExtraMetadata(extraMetadata: unknown, argument = 'extraMetadata', format = 'safetensors'): void {
  if (!isPlainObject(extraMetadata)) {
    throw new InvalidArgumentError(argument, `got ${describeValue(extraMetadata)}, expected an object of string fields, e.g. vocabulary.toMetadata()`);
  }
  for (const [key, value] of Object.entries(extraMetadata as object)) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`${argument}.${key}`, `got ${describeValue(value)}, expected a string (${format} metadata holds strings only)`);
  }
}

/** trainEpoch(batches, options): an iterable of batches (not a string), options { onProgress, progressEvery }. */
export function checkEpochArguments(batches: unknown, options: unknown): void {
  const iterable = typeof batches === 'object' && batches !== null && typeof (batches as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
  if (!iterable) {
    throw new InvalidArgumentError('batches', `got ${describeValue(batches)}, expected an iterable of batches (an array, a generator or TextBatches)`);
  }
  const checked = requireOptions('options', options, ['onProgress', 'progressEvery'], true);
  if (checked.onProgress !== undefined && typeof checked.onProgress !== 'function') {
    throw new InvalidArgumentError('options.onProgress', `got ${describeValue(checked.onProgress)}, expected a function ({ step, stepsThisEpoch, loss }) => void`);
  }
  if (checked.progressEvery !== undefined) requirePositiveInteger('options.progressEvery', checked.progressEvery);
}

const GENERATE_KEYS = ['primeTokens', 'length', 'temperature', 'topK', 'seed', 'stream'];

/** generate(options): a plain object of known keys, primeTokens and length given; a seed in [0, 2^32). */
export function checkGenerateOptions(options: unknown): void {
  const checked = requireOptions('options', options, GENERATE_KEYS, false);
  if (checked.primeTokens === undefined) throw new InvalidArgumentError('options.primeTokens', 'missing; expected at least one token id to start from');
  if (checked.length === undefined) throw new InvalidArgumentError('options.length', 'missing; expected how many tokens to generate');
  if (checked.seed !== undefined) checkSeed('options.seed', checked.seed);
}

/** A seed: an integer in [0, 2^32). */
export function checkSeed(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(argument, `got ${describeValue(value)}, expected an integer in [0, 2^32)`);
  }
  return value;
}

/** learningRateAt(step): steps count from 1. */
export function checkStepNumber(step: unknown): void {
  requirePositiveInteger('step', step);
}

/** dispatchesPerStep(timeSteps, batchSize): a batch shape within the stated maxima. */
export function checkBatchShape(timeSteps: unknown, batchSize: unknown): void {
  requirePositiveInteger('timeSteps', timeSteps, SIZE_LIMITS.timeSteps);
  requirePositiveInteger('batchSize', batchSize, SIZE_LIMITS.batchSize);
}

/**
 * trainEpoch over an array: every batch is checked before the first step, so that a bad
 * batch late in the array trains nothing (the error names its index). Other iterables
 * are checked one batch at a time as they are drawn.
 */
export function checkEpochBatches(batches: Iterable<SequenceBatch>, config: ResolvedConfig): void {
  if (!Array.isArray(batches)) return;
  batches.forEach((batch, index) => epochStep(index, 0, () => validateBatch(batch, config, true)));
}

/** Batch `index` of an epoch; a refused batch is named by its index, with how many steps (`taken`) were taken before it. */
export function epochStep<T>(index: number, taken: number, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof InvalidArgumentError) || !error.argument.startsWith('batch')) throw error;
    const argument = error.argument.replace(/^batch/, `batches[${index}]`);
    const progress = taken === 0 ? 'nothing was trained' : `the epoch's first ${taken} step(s) were taken`;
    throw new InvalidArgumentError(argument, `${error.message.slice(error.argument.length + 2)} (${progress})`);
  }
}
