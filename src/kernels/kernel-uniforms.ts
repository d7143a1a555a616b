/**
 * The uniform values of each op, packed by name against the kernel's declared
 * layout (registry.ts UNIFORM_LAYOUTS), and the constants shared with the WGSL.
 */
import type { OptimizerKernel, OptimizerStepValues } from './op-args.ts';
import { UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

/** An absent offset (NO_BIAS, NO_OUTPUT in the WGSL). */
export const NONE = 0xffffffff;
/** The target value the loss kernels skip (IGNORED in softmax_cross_entropy.wgsl). */
export const IGNORED_TARGET = 0xffffffff;

export function optimizerUniforms(type: OptimizerKernel, v: OptimizerStepValues) {
  switch (type) {
    case 'sgd':
      return packUniforms(L.sgd, { count: v.count, learningRate: v.learningRate, momentum: v.momentum, weightDecay: v.weightDecay, nesterov: v.nesterov ? 1 : 0 });
    case 'adam':
      return packUniforms(L.adam, {
        count: v.count, learningRate: v.learningRate, beta1: v.beta1, beta2: v.beta2, epsilon: v.epsilon, oneMinusBeta1: 1 - v.beta1, oneMinusBeta2: 1 - v.beta2,
        biasCorrection1: v.biasCorrection1, biasCorrection2Sqrt: v.biasCorrection2Sqrt, weightDecay: v.weightDecay, decoupled: v.decoupled ? 1 : 0,
      });
    case 'rmsprop':
      return packUniforms(L.rmsprop, { count: v.count, learningRate: v.learningRate, alpha: v.alpha, oneMinusAlpha: 1 - v.alpha, epsilon: v.epsilon, weightDecay: v.weightDecay, momentum: v.momentum });
  }
}

/** Invocations of the first norm pass, a partial sum each (PARTIALS in gradient_norm.wgsl), and the scratch words the clip needs. */
export const GRADIENT_NORM_PARTIALS = 4096;
export const GRADIENT_NORM_SCRATCH = GRADIENT_NORM_PARTIALS + 1;

/** Uniforms of the gradient-norm dispatches: this run's norm goes to history[historySlot]. */
export function normUniforms(count: number, maxNorm: number, historySlot: number, updateGrid: [number, number]) {
  return packUniforms(L.gradientNorm, { count, maxNorm, historySlot, updateGridX: updateGrid[0], updateGridY: updateGrid[1] });
}

/** Words of the guard buffer: the update's indirect dispatch size [0..2], then the skipped-step count. */
export const GUARD_WORDS = 4;
export const GUARD_SKIPPED_STEPS = 3;

/** The dropout kernels' uniforms: mask key and drop probability p (0: identity). */
export function dropoutUniforms(count: number, key: number, dropProbability: number, inputOffset: number, outputOffset: number) {
  return packUniforms(L.dropout, { count, key: key >>> 0, dropProbability, keptScale: 1 / (1 - dropProbability), inputOffset, outputOffset });
}

/** Uniforms of meanLoss: output[outputOffset] = (1/counted) Σ_{r < rows} input[inputOffset + r]. */
export function meanLossUniforms(inputOffset: number, rows: number, outputOffset: number, counted: number) {
  return packUniforms(L.reduce, { rows, cols: 1, inputOffset, outputOffset0: outputOffset, outputOffset1: NONE, scale: 1 / counted });
}

/** The head's outputs as a loss kernel reads them: `rows` rows of `classes` values, each row `rowLength` ≥ classes words long. */
export interface LossShape {
  rows: number;
  classes: number;
  rowLength: number;
}

/** Uniforms of the mean squared error over the outputs of `shape`, `counted` rows of which count. */
export function mseUniforms({ rows, classes, rowLength }: LossShape, outputsOffset: number, counted: number) {
  return packUniforms(L.meanSquaredError, { rows, classes, outputsOffset, gradientScale: 2 / (counted * classes), rowLength });
}

/** Uniforms of softmax cross-entropy over the logits of `shape`, `counted` rows of which have a target (the mean's divisor). */
export function softmaxUniforms({ rows, classes, rowLength }: LossShape, logitsOffset: number, counted: number) {
  return packUniforms(L.softmaxCrossEntropy, { rows, classes, logitsOffset, inverseCount: 1 / counted, rowLength });
}
/** Uniforms of joinDirections / splitDirections; `summary`: the reverse half is the reverse direction's final state (many-to-one). */
export function directionUniforms(timeSteps: number, batch: number, hiddenSize: number, summary: boolean, joinedOffset: number) {
  return packUniforms(L.direction, { timeSteps, batch, hiddenSize, summary: summary ? 1 : 0, joinedOffset });
}

/** Uniforms of a matmul dispatch: C [m, n] over k rows, offsets in words, biases NONE when absent. */
export function matmulUniforms(m: number, n: number, k: number, offsetA: number, offsetB: number, offsetC: number, biasOffset0: number, biasOffset1: number, accumulate: number) {
  return packUniforms(L.matmul, { m, n, k, offsetA, offsetB, offsetC, biasOffset0, biasOffset1, accumulate });
}

export function embeddingUniforms(rows: number, width: number, vocabulary: number, weightOffset: number, biasOffset0: number, biasOffset1: number, outputOffset: number) {
  return packUniforms(L.embedding, { rows, width, vocabulary, weightOffset, biasOffset0, biasOffset1, outputOffset });
}
