/**
 * The kernels a model's training and evaluation plans dispatch, by key, so that a
 * device compiles only those (RnnModel.create awaits them; generate adds its sampler).
 * Each choice a config makes is the function its op or plan calls (kernel-choice.ts);
 * test/kernels-needed.test.ts checks the list against what plans dispatch.
 */
import { cellKernelKey, dropoutBetweenLayers, lossKernel, matmulKeysFor, multiplesOf4, optimizerKernelKey, rnnStepKey, TOKEN_INPUT_KERNELS, tokenInput, VEC4_TWINS } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';

export function kernelsNeededBy(config: ResolvedConfig, cpuAdapter: boolean): string[] {
  // Every layer uses A·Bᵀ (projections, head), Aᵀ·B (weight gradients) and A·B (state gradients), on any core the shape picks.
  const keys = matmulKeysFor(cpuAdapter);
  // The layers' offsets are multiples of H, so H alone picks the word or the vec4 recurrent kernels.
  const relu = config.nonlinearity === 'relu';
  if (config.cell === 'rnn') keys.push(rnnStepKey(false, relu, multiplesOf4([config.hiddenSize])), rnnStepKey(true, relu, multiplesOf4([config.hiddenSize])));
  if (config.cell === 'lstm') keys.push(cellKernelKey('lstmCellForward', { hiddenSize: config.hiddenSize }), cellKernelKey('lstmCellBackward', { hiddenSize: config.hiddenSize }));
  if (config.cell === 'gru') keys.push(cellKernelKey('gruCellForward', { hiddenSize: config.hiddenSize }), cellKernelKey('gruCellBackward', { hiddenSize: config.hiddenSize }));
  keys.push(...TOKEN_INPUT_KERNELS[tokenInput(config)]);
  keys.push(lossKernel(config.loss, config.outputSize));
  if (dropoutBetweenLayers(config)) keys.push('dropoutForward', 'dropoutBackward');
  if (config.bidirectional) keys.push('reverseRows', 'joinDirections', 'splitDirections');
  keys.push('columnSums', 'meanLoss', 'sumSquaresPartial', 'finishNorm');
  if (config.clipGradientNorm > 0) keys.push('scaleGradients');
  keys.push(optimizerKernelKey(config.optimizer.type));
  // Where a kernel has a vec4 twin, which of the two runs depends on the sizes and offsets.
  keys.push(...keys.filter((key) => key in VEC4_TWINS).map((key) => VEC4_TWINS[key]));
  return keys;
}
