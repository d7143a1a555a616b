/**
 * The model and optimizer configuration: one type each, with the defaults in
 * comments and one function that checks a user's config and fills defaults.
 */
import { type OptimizerConfig, type ResolvedOptimizer, resolveOptimizer, resolveSchedule, type ScheduleConfig } from './optimizer.ts';
import {
  describeValue,
  InvalidArgumentError,
  isPlainObject,
  POSITIVE_FLOAT32,
  rejectUnknownKeys,
  requireFloat32,
  requireOneOf,
  requirePositiveInteger,
  UNIT_INTERVAL_FLOAT32,
} from '../validation.ts';
import { SIZE_LIMITS } from './size-limits.ts';

export type { OptimizerConfig, ScheduleConfig };

export const CELLS = ['rnn', 'lstm', 'gru'] as const;
export type CellType = (typeof CELLS)[number];
export const LOSSES = ['cross-entropy', 'mse'] as const;
export type LossType = (typeof LOSSES)[number];
export const NONLINEARITIES = ['tanh', 'relu'] as const;
export type Nonlinearity = (typeof NONLINEARITIES)[number];

/** Gates per cell: rows of W_ih and W_hh are this many times H (PyTorch's stacking). */
export const GATES: Record<CellType, number> = { rnn: 1, lstm: 4, gru: 3 };

export interface RnnModelConfig {
  /**
   * Recurrent cell, as torch.nn.RNN / LSTM / GRU compute it. Default 'rnn'.
   *   rnn:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
   *   lstm: gates i, f, g, o;  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
   *   gru:  gates r, z, n;  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
   */
  cell?: CellType;
  /** The simple RNN's nonlinearity. Default 'tanh'. */
  nonlinearity?: Nonlinearity;
  /** Stacked recurrent layers; layer k+1 reads layer k's hidden sequence. Default 1. */
  layers?: number;
  /**
   * Each layer runs forward and backward in time (torch.nn.RNN / LSTM / GRU with
   * bidirectional=True): the reverse direction's parameters carry the suffix
   * `_reverse`, each step's output is [h_fwd, h_rev] (2H, what layer k+1 and the head
   * read), states are [2L, B, H] (l0 forward, l0 reverse, l1 forward, …). With lengths
   * the reverse direction starts at each sequence's own last step. Many-to-one
   * (sequenceTargets) reads [h_fwd at the last step, h_rev's final state]. No 'carry'
   * and no generate(). Default false.
   */
  bidirectional?: boolean;
  /**
   * Dropout probability on each layer's output except the top one's, during
   * training only (torch.nn.LSTM's `dropout`). Masks are drawn from `seed`. Default 0.
   */
  dropout?: number;
  /** Token inputs with one-hot semantics over this many ids. Give this or `inputSize`. */
  vocabularySize?: number;
  /** Dense inputs of this many features per time step. Give this or `vocabularySize`. */
  inputSize?: number;
  /**
   * Token models: look tokens up in a learned embedding E [V, D] (torch.nn.Embedding,
   * parameter 'embedding.weight') instead of one-hot inputs. Default: one-hot.
   */
  embeddingSize?: number;
  /** Hidden units H. */
  hiddenSize: number;
  /** Outputs of the head y_t = W_y h_t + b_y (classes of the loss). Default: vocabularySize. */
  outputSize?: number;
  /**
   * One bias b per layer (parameter 'bias_l{k}') where torch.nn.RNN / LSTM have
   * b_ih and b_hh: h_t = tanh(W_ih x_t + W_hh h_{t−1} + b), as PyTorch's SimpleRNN
   * (i2h = Linear(I + H, H)) and Keras compute it. Cells 'rnn' and 'lstm' (a GRU's
   * b_hn sits inside r ⊙ (W_hn h + b_hn), so it keeps two). Default false.
   */
  singleBias?: boolean;
  /**
   * 'cross-entropy' (softmax over the outputs, integer targets; default) or 'mse'
   * (mean squared error against batch.targetValues, for regression sequences).
   */
  loss?: LossType;
  /** Seed of the weight initialization. Default 0. */
  seed?: number;
  /** Optimizer. Default Adam with learning rate 2e-3. */
  optimizer?: OptimizerConfig;
  /** Learning-rate schedule over optimizer steps. Default constant. */
  schedule?: ScheduleConfig;
  /**
   * Clip the gradients to this global L2 norm before each update, on the GPU
   * (torch.nn.utils.clip_grad_norm_). The norm before clipping is readable from
   * each step's result. Default: no clipping.
   */
  clipGradientNorm?: number;
  /**
   * A step whose loss or gradients are not finite never updates the parameters: the
   * GPU skips the update without any readback, and counts it (readSkippedSteps).
   * 'skip' (default) goes on with the next step; 'error' also makes that step's
   * loss() reject with an error saying so, for loops that should stop. (The step
   * count, which sets the schedule and Adam's bias correction, still advances.)
   */
  onNonFinite?: 'skip' | 'error';
}

export interface ResolvedConfig {
  cell: CellType;
  nonlinearity: Nonlinearity;
  layers: number;
  /** Both time directions per layer (see RnnModelConfig.bidirectional). */
  bidirectional: boolean;
  /** 2 for bidirectional models, else 1: states have layers·directions blocks, layer outputs directions·H values. */
  directions: 1 | 2;
  /** Gates of the cell (1, 4 or 3). */
  gates: number;
  dropout: number;
  inputKind: 'tokens' | 'dense';
  /** The vocabulary size for tokens, the feature count for dense inputs. */
  inputSize: number;
  /** D of the learned embedding; 0 for one-hot token inputs and dense inputs. */
  embeddingSize: number;
  hiddenSize: number;
  outputSize: number;
  /** One bias b per layer instead of b_ih and b_hh. */
  singleBias: boolean;
  seed: number;
  optimizer: ResolvedOptimizer;
  schedule: ScheduleConfig;
  /** 0: no clipping. */
  clipGradientNorm: number;
  onNonFinite: 'skip' | 'error';
  loss: LossType;
}

const MODEL_KEYS = ['cell', 'nonlinearity', 'layers', 'dropout', 'vocabularySize', 'inputSize', 'embeddingSize', 'hiddenSize', 'outputSize', 'singleBias', 'seed', 'optimizer', 'schedule', 'clipGradientNorm', 'loss', 'onNonFinite', 'bidirectional'];

export function resolveConfig(config: RnnModelConfig): ResolvedConfig {
  if (!isPlainObject(config)) {
    throw new InvalidArgumentError('config', `got ${describeValue(config)}, expected an object with hiddenSize and vocabularySize or inputSize`);
  }
  rejectUnknownKeys('config', config, MODEL_KEYS);
  const cell = config.cell === undefined ? 'rnn' : requireOneOf('config.cell', config.cell, CELLS);
  const nonlinearity = config.nonlinearity === undefined ? 'tanh' : requireOneOf('config.nonlinearity', config.nonlinearity, NONLINEARITIES);
  if (nonlinearity !== 'tanh' && cell !== 'rnn') {
    throw new InvalidArgumentError('config.nonlinearity', `got '${nonlinearity}' for cell '${cell}', expected it only with cell 'rnn'`);
  }
  const layers = config.layers === undefined ? 1 : requirePositiveInteger('config.layers', config.layers, SIZE_LIMITS.layers);
  const dropout = config.dropout === undefined ? 0 : requireFloat32('config.dropout', config.dropout, UNIT_INTERVAL_FLOAT32);
  const hasVocabulary = config.vocabularySize !== undefined;
  const hasInputSize = config.inputSize !== undefined;
  if (hasVocabulary === hasInputSize) {
    throw new InvalidArgumentError(
      'config',
      `${hasVocabulary ? 'both' : 'neither of'} vocabularySize and inputSize given, expected exactly one (token or dense inputs)`,
    );
  }
  const inputSize = hasVocabulary
    ? requirePositiveInteger('config.vocabularySize', config.vocabularySize, SIZE_LIMITS.dimension)
    : requirePositiveInteger('config.inputSize', config.inputSize, SIZE_LIMITS.dimension);
  const hiddenSize = requirePositiveInteger('config.hiddenSize', config.hiddenSize, SIZE_LIMITS.dimension);
  if (config.embeddingSize !== undefined && !hasVocabulary) {
    throw new InvalidArgumentError('config.embeddingSize', 'given to a dense-input model; an embedding looks up token ids (vocabularySize)');
  }
  const embeddingSize = config.embeddingSize === undefined ? 0 : requirePositiveInteger('config.embeddingSize', config.embeddingSize, SIZE_LIMITS.dimension);
  if (config.outputSize === undefined && !hasVocabulary) {
    throw new InvalidArgumentError('config.outputSize', 'missing; dense-input models must say how many classes the head predicts');
  }
  const outputSize = config.outputSize === undefined ? inputSize : requirePositiveInteger('config.outputSize', config.outputSize, SIZE_LIMITS.dimension);
  const singleBias = config.singleBias ?? false;
  if (typeof singleBias !== 'boolean') throw new InvalidArgumentError('config.singleBias', `got ${describeValue(singleBias)}, expected true or false`);
  if (singleBias && cell === 'gru') {
    throw new InvalidArgumentError('config.singleBias', "given for cell 'gru', expected it only with 'rnn' or 'lstm' (a GRU's b_hn is applied inside r ⊙ (W_hn h + b_hn))");
  }
  const bidirectional = config.bidirectional ?? false;
  if (typeof bidirectional !== 'boolean') throw new InvalidArgumentError('config.bidirectional', `got ${JSON.stringify(bidirectional)}, expected true or false`);
  if (bidirectional && singleBias) {
    throw new InvalidArgumentError('config.singleBias', 'given with bidirectional: true, expected one of them (PyTorch has no single-bias bidirectional layer)');
  }
  const seed = config.seed === undefined ? 0 : config.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError('config.seed', `got ${describeValue(seed)}, expected an integer in [0, 2^32)`);
  }
  return {
    cell,
    nonlinearity,
    layers,
    bidirectional,
    directions: bidirectional ? 2 : 1,
    gates: GATES[cell],
    dropout,
    inputKind: hasVocabulary ? 'tokens' : 'dense',
    inputSize,
    embeddingSize,
    hiddenSize,
    outputSize,
    singleBias,
    seed,
    optimizer: resolveOptimizer(config.optimizer),
    schedule: resolveSchedule(config.schedule),
    loss: config.loss === undefined ? 'cross-entropy' : requireOneOf('config.loss', config.loss, LOSSES),
    onNonFinite: config.onNonFinite === undefined ? 'skip' : requireOneOf('config.onNonFinite', config.onNonFinite, ['skip', 'error'] as const),
    clipGradientNorm: config.clipGradientNorm === undefined ? 0 : requireFloat32('config.clipGradientNorm', config.clipGradientNorm, POSITIVE_FLOAT32),
  };
}
