/**
 * The kernels a model's training and evaluation plans dispatch, by key, so that a
 * device compiles only those (RnnModel.create awaits them; generate adds its sampler).
 * Each choice a config makes is the function its op or plan calls (kernel-choice.ts);
 * test/kernels-needed.test.ts checks the list against what plans dispatch.
 */
import { cellKernelKey, dropoutBetweenLayers, embeddingForwardKey, embeddingGradientKeys, lossKernel, matmulKeysFor, multiplesOf4, optimizerKernelKey, rnnStepKey, TOKEN_INPUT_KERNELS, tokenInput } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';

export function kernelsNeededBy(config: ResolvedConfig, cpuAdapter: boolean, llvmpipe = false): string[] {
  // Every layer uses A·Bᵀ (projections, head), Aᵀ·B (weight gradients) and A·B (state gradients), on any core the shape picks.
  const keys = matmulKeysFor(cpuAdapter, llvmpipe);
  // The layers' offsets are multiples of H, so H alone picks the word or the vec4 recurrent kernels.
  const relu = config.nonlinearity === 'relu';
  if (config.cell === 'rnn') keys.push(rnnStepKey(false, relu, multiplesOf4([config.hiddenSize])), rnnStepKey(true, relu, multiplesOf4([config.hiddenSize])));
  if (config.cell === 'lstm') keys.push(cellKernelKey('lstmCellForward', { hiddenSize: config.hiddenSize }), cellKernelKey('lstmCellBackward', { hiddenSize: config.hiddenSize }));
  if (config.cell === 'gru') keys.push(cellKernelKey('gruCellForward', { hiddenSize: config.hiddenSize }), cellKernelKey('gruCellBackward', { hiddenSize: config.hiddenSize }));
  // The one-hot projection's offsets are multiples of 4 in a model, so its width picks the word or vec4 kernel.
  const width = config.gates * config.hiddenSize;
  keys.push(...TOKEN_INPUT_KERNELS[tokenInput(config)].flatMap((key) => (key === 'embeddingForward' ? [embeddingForwardKey([width])] : key === 'embeddingBackward' ? embeddingGradientKeys(cpuAdapter, [width], llvmpipe) : [key])));
  keys.push(lossKernel(config.loss, config.outputSize));
  if (dropoutBetweenLayers(config)) keys.push('dropoutForward', 'dropoutBackward');
  if (config.bidirectional) keys.push('reverseRows', 'joinDirections', 'splitDirections');
  keys.push('columnSums', 'meanLoss', 'sumSquaresPartial', 'finishNorm');
  if (config.clipGradientNorm > 0) keys.push('scaleGradients');
  keys.push(optimizerKernelKey(config.optimizer.type));
  return keys;
}
