/**
 * Optimizers and learning-rate schedules: the user's config with defaults, the
 * state buffers each optimizer keeps, and the values of its update for step t
 * (torch.optim's formulas; the update itself is in shaders/sgd.wgsl,
 * adam.wgsl and rmsprop.wgsl).
 */
import {
  describeValue,
  InvalidArgumentError,
  isPlainObject,
  NON_NEGATIVE_FLOAT32,
  POSITIVE_FLOAT32,
  rejectUnknownKeys,
  requireFloat32,
  requireInRange,
  requireOneOf,
  requirePositiveInteger,
  UNIT_INTERVAL_FLOAT32,
} from '../validation.ts';

export type OptimizerConfig =
  /** torch.optim.SGD (dampening 0). */
  | { type: 'sgd'; learningRate: number; /** Default 0. */ momentum?: number; /** Default false. */ nesterov?: boolean; /** L2, default 0. */ weightDecay?: number }
  /** torch.optim.Adam. */
  | { type: 'adam'; learningRate: number; /** Default 0.9. */ beta1?: number; /** Default 0.999. */ beta2?: number; /** Default 1e-8. */ epsilon?: number; /** L2, default 0. */ weightDecay?: number }
  /** torch.optim.AdamW (decoupled weight decay). */
  | { type: 'adamw'; learningRate: number; beta1?: number; beta2?: number; epsilon?: number; /** Default 0.01. */ weightDecay?: number }
  /** torch.optim.RMSprop (not centered). */
  | { type: 'rmsprop'; learningRate: number; /** Default 0.99. */ alpha?: number; /** Default 1e-8. */ epsilon?: number; /** Default 0. */ weightDecay?: number; /** Default 0. */ momentum?: number };

export type OptimizerType = OptimizerConfig['type'];
export const OPTIMIZER_TYPES: readonly OptimizerType[] = ['sgd', 'adam', 'adamw', 'rmsprop'];

export interface ResolvedOptimizer {
  type: OptimizerType;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  alpha: number;
}

const KEYS: Record<OptimizerType, string[]> = {
  sgd: ['type', 'learningRate', 'momentum', 'nesterov', 'weightDecay'],
  adam: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
  adamw: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
  rmsprop: ['type', 'learningRate', 'alpha', 'epsilon', 'weightDecay', 'momentum'],
};

// Every value below reaches the update kernels as a float32: each is checked in the float32 range.
const nonNegative = (argument: string, value: unknown, fallback: number) =>
  value === undefined ? fallback : requireFloat32(argument, value, NON_NEGATIVE_FLOAT32);
const belowOne = (argument: string, value: unknown, fallback: number) =>
  value === undefined ? fallback : requireFloat32(argument, value, UNIT_INTERVAL_FLOAT32);

export function resolveOptimizer(optimizer: unknown, argument = 'config.optimizer'): ResolvedOptimizer {
  if (optimizer === undefined) return resolveOptimizer({ type: 'adam', learningRate: 2e-3 }, argument);
  if (!isPlainObject(optimizer)) {
    throw new InvalidArgumentError(argument, `got ${describeValue(optimizer)}, expected an object such as { type: 'adam', learningRate: 0.002 }`);
  }
  const options = optimizer as Record<string, unknown>;
  const type = requireOneOf(`${argument}.type`, options.type, OPTIMIZER_TYPES);
  rejectUnknownKeys(argument, options, KEYS[type]);
  const nesterov = options.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new InvalidArgumentError(`${argument}.nesterov`, `got ${describeValue(nesterov)}, expected true or false`);
  const resolved: ResolvedOptimizer = {
    type,
    learningRate: requireFloat32(`${argument}.learningRate`, options.learningRate, POSITIVE_FLOAT32),
    beta1: belowOne(`${argument}.beta1`, options.beta1, 0.9),
    beta2: belowOne(`${argument}.beta2`, options.beta2, 0.999),
    // ε > 0 and a normal float32: 1e-50 would be 0 on the GPU and divide by zero.
    epsilon: options.epsilon === undefined ? 1e-8 : requireFloat32(`${argument}.epsilon`, options.epsilon, POSITIVE_FLOAT32),
    weightDecay: nonNegative(`${argument}.weightDecay`, options.weightDecay, type === 'adamw' ? 0.01 : 0),
    momentum: nonNegative(`${argument}.momentum`, options.momentum, 0),
    nesterov,
    alpha: belowOne(`${argument}.alpha`, options.alpha, 0.99),
  };
  if (resolved.nesterov && resolved.momentum <= 0) {
    throw new InvalidArgumentError(`${argument}.nesterov`, 'Nesterov momentum needs momentum > 0 (as torch.optim.SGD requires)');
  }
  return resolved;
}

/** The resolved optimizer as a config again (only the fields its type takes), e.g. to store in a checkpoint. */
export function optimizerConfigOf(optimizer: ResolvedOptimizer): OptimizerConfig {
  return Object.fromEntries(KEYS[optimizer.type].map((key) => [key, optimizer[key as keyof ResolvedOptimizer]])) as unknown as OptimizerConfig;
}

/** Which per-parameter state buffers the optimizer keeps: `first` (momentum or Adam's m) and `second` (v, or RMSprop's square average). */
export function optimizerState(optimizer: ResolvedOptimizer): { first: boolean; second: boolean } {
  switch (optimizer.type) {
    case 'sgd':
      return { first: optimizer.momentum > 0, second: false };
    case 'adam':
    case 'adamw':
      return { first: true, second: true };
    case 'rmsprop':
      return { first: optimizer.momentum > 0, second: true };
  }
}

/** The values every update kernel reads for step t (from 1) at learning rate `learningRate`. */
export function optimizerStepValues(optimizer: ResolvedOptimizer, step: number, learningRate: number, count: number) {
  return {
    ...optimizer,
    count,
    learningRate,
    biasCorrection1: 1 - optimizer.beta1 ** step,
    biasCorrection2Sqrt: Math.sqrt(1 - optimizer.beta2 ** step),
    decoupled: optimizer.type === 'adamw',
  };
}

export type ScheduleConfig =
  | { type: 'constant' }
  /** torch.optim.lr_scheduler.StepLR: lr · gamma^⌊(t−1)/stepSize⌋ at step t (from 1). */
  | { type: 'step'; stepSize: number; gamma: number }
  /** Linear warm-up to lr over warmupSteps, then cosine decay to minLearningRate (default 0) at totalSteps. */
  | { type: 'cosine'; warmupSteps: number; totalSteps: number; minLearningRate?: number };

export function resolveSchedule(schedule: unknown, argument = 'config.schedule'): ScheduleConfig {
  if (schedule === undefined) return { type: 'constant' };
  if (!isPlainObject(schedule)) {
    throw new InvalidArgumentError(argument, `got ${describeValue(schedule)}, expected an object such as { type: 'cosine', warmupSteps: 100, totalSteps: 2000 }`);
  }
  const options = schedule as Record<string, unknown>;
  const type = requireOneOf(`${argument}.type`, options.type, ['constant', 'step', 'cosine'] as const);
  if (type === 'constant') {
    rejectUnknownKeys(argument, options, ['type']);
    return { type };
  }
  if (type === 'step') {
    rejectUnknownKeys(argument, options, ['type', 'stepSize', 'gamma']);
    return { type, stepSize: requirePositiveInteger(`${argument}.stepSize`, options.stepSize), gamma: requireFloat32(`${argument}.gamma`, options.gamma, POSITIVE_FLOAT32) };
  }
  rejectUnknownKeys(argument, options, ['type', 'warmupSteps', 'totalSteps', 'minLearningRate']);
  const warmupSteps = options.warmupSteps === undefined ? 0 : requireInRange(`${argument}.warmupSteps`, options.warmupSteps, 0, Number.MAX_SAFE_INTEGER);
  if (!Number.isInteger(warmupSteps)) throw new InvalidArgumentError(`${argument}.warmupSteps`, `got ${warmupSteps}, expected an integer ≥ 0`);
  const totalSteps = requirePositiveInteger(`${argument}.totalSteps`, options.totalSteps);
  if (totalSteps <= warmupSteps) throw new InvalidArgumentError(`${argument}.totalSteps`, `got ${totalSteps}, expected more than warmupSteps (${warmupSteps})`);
  const minLearningRate = options.minLearningRate === undefined ? 0 : requireFloat32(`${argument}.minLearningRate`, options.minLearningRate, NON_NEGATIVE_FLOAT32);
  return { type, warmupSteps, totalSteps, minLearningRate };
}

/** The learning rate of step t (from 1) under the schedule. */
export function scheduledLearningRate(schedule: ScheduleConfig, baseLearningRate: number, step: number): number {
  switch (schedule.type) {
    case 'constant':
      return baseLearningRate;
    case 'step':
      return baseLearningRate * schedule.gamma ** Math.floor((step - 1) / schedule.stepSize);
    case 'cosine': {
      const minimum = schedule.minLearningRate ?? 0;
      if (step <= schedule.warmupSteps) return (baseLearningRate * step) / schedule.warmupSteps;
      const progress = Math.min(1, (step - schedule.warmupSteps) / (schedule.totalSteps - schedule.warmupSteps));
      return minimum + (baseLearningRate - minimum) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}
