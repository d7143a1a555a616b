/**
 * kernelsNeededBy against the kernel choices the ops make (kernel-choice.ts): the
 * loss and update kernels a config dispatches are among those it compiles, and every
 * key it lists names a defined kernel. No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import { ALL_KERNELS, crossEntropyKernel, lossKernel, optimizerKernelKey, PER_ROW_SOFTMAX_MAX_CLASSES } from '../src/kernels/kernel-set.ts';
import { type RnnModelConfig, resolveConfig } from '../src/model/config.ts';
import { kernelsNeededBy } from '../src/model/kernels-needed.ts';

const CONFIGS: RnnModelConfig[] = [
  { cell: 'rnn', vocabularySize: 5, hiddenSize: 4 },
  { cell: 'lstm', vocabularySize: PER_ROW_SOFTMAX_MAX_CLASSES + 1, hiddenSize: 4, optimizer: { type: 'adamw', learningRate: 0.01 } },
  { cell: 'gru', inputSize: 3, outputSize: 2, hiddenSize: 4, loss: 'mse', optimizer: { type: 'rmsprop', learningRate: 0.01 }, clipGradientNorm: 1 },
  { cell: 'gru', vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, layers: 2, dropout: 0.5, bidirectional: true, optimizer: { type: 'sgd', learningRate: 0.1 } },
];

describe('kernelsNeededBy', () => {
  for (const config of CONFIGS) {
    const resolved = resolveConfig(config);
    it(`${resolved.cell}, ${resolved.loss}, ${resolved.optimizer.type}, V = ${resolved.outputSize}: compiles the kernels its ops choose, all defined`, () => {
      const keys = kernelsNeededBy(resolved);
      expect(keys).toContain(lossKernel(resolved.loss, resolved.outputSize));
      expect(keys).toContain(optimizerKernelKey(resolved.optimizer.type));
      for (const key of keys) expect(ALL_KERNELS).toContain(key);
    });
  }

  it('AdamW runs the Adam kernel; the softmax variant switches above PER_ROW_SOFTMAX_MAX_CLASSES', () => {
    expect(optimizerKernelKey('adamw')).toBe('adamUpdate');
    expect(crossEntropyKernel(PER_ROW_SOFTMAX_MAX_CLASSES)).toBe('softmaxCrossEntropyPerRow');
    expect(crossEntropyKernel(PER_ROW_SOFTMAX_MAX_CLASSES + 1)).toBe('softmaxCrossEntropy');
    expect(lossKernel('mse', 10)).toBe('meanSquaredError');
  });
});
