/**
 * The model and optimizer configuration: one type each, with the defaults in
 * comments and one function that checks a user's config and fills defaults.
 */
import {
  InvalidArgumentError,
  rejectUnknownKeys,
  requireInRange,
  requireOneOf,
  requirePositiveInteger,
  requirePositiveNumber,
} from '../validation.ts';

export const CELLS = ['rnn'] as const;
export type CellType = (typeof CELLS)[number];

export interface RnnModelConfig {
  /** Recurrent cell: 'rnn' (h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)). Default 'rnn'. */
  cell?: CellType;
  /** Token inputs with one-hot semantics over this many ids. Give this or `inputSize`. */
  vocabularySize?: number;
  /** Dense inputs of this many features per time step. Give this or `vocabularySize`. */
  inputSize?: number;
  /** Hidden units H. */
  hiddenSize: number;
  /** Outputs of the head y_t = W_y h_t + b_y (classes of the loss). Default: vocabularySize. */
  outputSize?: number;
  /** Seed of the weight initialization. Default 0. */
  seed?: number;
  /** Optimizer. Default Adam with learning rate 2e-3. */
  optimizer?: OptimizerConfig;
}

export type OptimizerConfig =
  | { type: 'sgd'; learningRate: number }
  | {
      type: 'adam';
      learningRate: number;
      /** Default 0.9. */
      beta1?: number;
      /** Default 0.999. */
      beta2?: number;
      /** Default 1e-8. */
      epsilon?: number;
    };

export interface ResolvedOptimizer {
  type: 'sgd' | 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface ResolvedConfig {
  cell: CellType;
  inputKind: 'tokens' | 'dense';
  /** Columns of W_ih: the vocabulary size for tokens, the feature count for dense inputs. */
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  seed: number;
  optimizer: ResolvedOptimizer;
}

const MODEL_KEYS = ['cell', 'vocabularySize', 'inputSize', 'hiddenSize', 'outputSize', 'seed', 'optimizer'];

export function resolveOptimizer(optimizer: unknown, argument = 'config.optimizer'): ResolvedOptimizer {
  if (optimizer === undefined) return { type: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  if (typeof optimizer !== 'object' || optimizer === null) {
    throw new InvalidArgumentError(argument, `got ${typeof optimizer}, expected an object such as { type: 'adam', learningRate: 0.002 }`);
  }
  const options = optimizer as Record<string, unknown>;
  const type = requireOneOf(`${argument}.type`, options.type, ['sgd', 'adam'] as const);
  rejectUnknownKeys(argument, options, type === 'sgd' ? ['type', 'learningRate'] : ['type', 'learningRate', 'beta1', 'beta2', 'epsilon']);
  return {
    type,
    learningRate: requirePositiveNumber(`${argument}.learningRate`, options.learningRate),
    beta1: options.beta1 === undefined ? 0.9 : requireInRange(`${argument}.beta1`, options.beta1, 0, 1),
    beta2: options.beta2 === undefined ? 0.999 : requireInRange(`${argument}.beta2`, options.beta2, 0, 1),
    epsilon: options.epsilon === undefined ? 1e-8 : requirePositiveNumber(`${argument}.epsilon`, options.epsilon),
  };
}

export function resolveConfig(config: RnnModelConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new InvalidArgumentError('config', `got ${typeof config}, expected an object with hiddenSize and vocabularySize or inputSize`);
  }
  rejectUnknownKeys('config', config, MODEL_KEYS);
  const cell = config.cell === undefined ? 'rnn' : requireOneOf('config.cell', config.cell, CELLS);
  const hasVocabulary = config.vocabularySize !== undefined;
  const hasInputSize = config.inputSize !== undefined;
  if (hasVocabulary === hasInputSize) {
    throw new InvalidArgumentError(
      'config',
      `${hasVocabulary ? 'both' : 'neither of'} vocabularySize and inputSize given, expected exactly one (token or dense inputs)`,
    );
  }
  const inputSize = hasVocabulary
    ? requirePositiveInteger('config.vocabularySize', config.vocabularySize)
    : requirePositiveInteger('config.inputSize', config.inputSize);
  const hiddenSize = requirePositiveInteger('config.hiddenSize', config.hiddenSize);
  if (config.outputSize === undefined && !hasVocabulary) {
    throw new InvalidArgumentError('config.outputSize', 'missing; dense-input models must say how many classes the head predicts');
  }
  const outputSize = config.outputSize === undefined ? inputSize : requirePositiveInteger('config.outputSize', config.outputSize);
  const seed = config.seed === undefined ? 0 : config.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError('config.seed', `got ${seed}, expected an integer in [0, 2^32)`);
  }
  return {
    cell,
    inputKind: hasVocabulary ? 'tokens' : 'dense',
    inputSize,
    hiddenSize,
    outputSize,
    seed,
    optimizer: resolveOptimizer(config.optimizer),
  };
}
