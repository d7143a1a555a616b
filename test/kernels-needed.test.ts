/**
 * kernelsNeededBy against the kernel choices the ops make (kernel-choice.ts): the
 * loss and update kernels a config dispatches are among those it compiles, and every
 * key it lists names a defined kernel (no GPU needed); and against what a model's
 * training and evaluation plans actually dispatch (on each test adapter).
 */
import { describe, expect, it } from 'vitest';
import { ALL_KERNELS, crossEntropyKernel, dropoutBetweenLayers, KernelSet, lossKernel, optimizerKernelKey, PACK_PANELS_KEY, PER_ROW_SOFTMAX_MAX_CLASSES, rnnStepKey, tokenInput, walkQuadsPerInvocation } from '../src/kernels/kernel-set.ts';
import type { SequenceBatch } from '../src/model/batch.ts';
import { type RnnModelConfig, resolveConfig } from '../src/model/config.ts';
import { kernelsNeededBy } from '../src/model/kernels-needed.ts';
import { RnnModel } from '../src/model/rnn-model.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

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
      const keys = [...kernelsNeededBy(resolved, true), ...kernelsNeededBy(resolved, false)];
      expect(keys).toContain(lossKernel(resolved.loss, resolved.outputSize));
      expect(keys).toContain(optimizerKernelKey(resolved.optimizer.type));
      for (const key of keys) expect(ALL_KERNELS).toContain(key);
    });
  }

  it('compiles the register-tile matmul cores (vec4 loads, and one tile with word loads but on llvmpipe) on a CPU adapter and the workgroup-memory cores on a GPU', () => {
    const keys = (cpuAdapter: boolean, llvmpipe = false) => kernelsNeededBy(resolveConfig(CONFIGS[0]), cpuAdapter, llvmpipe).filter((key) => key.startsWith('matmul '));
    expect(keys(true).every((key) => key.startsWith('matmul register'))).toBe(true);
    expect(keys(true).filter((key) => !key.endsWith(' vec4')).sort()).toEqual(['matmul register8x8 NN', 'matmul register8x8 NT', 'matmul register8x8 TN']);
    expect(keys(true).filter((key) => key.endsWith(' vec4'))).toHaveLength(9);
    // llvmpipe: the vec4 cores read operand textures, and every tile it chooses (not 16 x 16; 12 x 16 there only) has word loads.
    expect(keys(true, true).filter((key) => key.endsWith(' vec4'))).toEqual([]);
    expect(keys(true, true).filter((key) => key.endsWith(' textures') && !key.includes(' Cᵀ') && !key.includes(' panels'))).toHaveLength(9);
    // …the recurrent products read their shared B packed in column panels (MatmulArgs.sharedB), packed by packPanels.
    expect(keys(true, true).filter((key) => key.includes(' panels')).sort()).toEqual([
      'matmul register12x16 N· panels textures', 'matmul register8x16 N· panels textures', 'matmul register8x8 N· panels textures',
    ]);
    expect(kernelsNeededBy(resolveConfig(CONFIGS[0]), true, true)).toContain(PACK_PANELS_KEY);
    expect(kernelsNeededBy(resolveConfig(CONFIGS[0]), true, false).some((key) => key === PACK_PANELS_KEY || key.includes(' panels'))).toBe(false);
    // …and their A·Bᵀ and Aᵀ·B products may store C transposed (transposedOutput).
    expect(keys(true, true).filter((key) => key.endsWith(' Cᵀ textures')).sort()).toEqual([
      'matmul register12x16 NT Cᵀ textures', 'matmul register12x16 TN Cᵀ textures',
      'matmul register8x16 NT Cᵀ textures', 'matmul register8x16 TN Cᵀ textures', 'matmul register8x8 NT Cᵀ textures', 'matmul register8x8 TN Cᵀ textures',
    ]);
    expect(keys(true).some((key) => key.includes(' Cᵀ'))).toBe(false);
    expect(keys(true, true).filter((key) => !key.endsWith(' textures'))).toHaveLength(9);
    expect(keys(true).some((key) => key.includes('register12x16'))).toBe(false);
    expect(keys(true, true).some((key) => key.includes('register16x16'))).toBe(false);
    expect(keys(false).every((key) => /^matmul (small|large) /.test(key))).toBe(true);
    expect(keys(false, true)).toEqual(keys(false));
  });

  it('the one-hot weight gradient: one pass on a GPU, grouped by token on a CPU adapter (vec4 where G·H is a multiple of 4; on llvmpipe with more runs of four units per invocation on wide layers)', () => {
    const embedding = (config: RnnModelConfig, cpuAdapter: boolean, llvmpipe = false) =>
      kernelsNeededBy(resolveConfig(config), cpuAdapter, llvmpipe).filter((key) => /^(embeddingBackward|groupTokenRows)/.test(key));
    expect(embedding({ vocabularySize: 7, hiddenSize: 8 }, false)).toEqual(['embeddingBackward']);
    expect(embedding({ vocabularySize: 7, hiddenSize: 8 }, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4']);
    expect(embedding({ vocabularySize: 7, hiddenSize: 9, cell: 'rnn' }, true)).toEqual(['groupTokenRows', 'embeddingBackwardGrouped']);
    // llvmpipe: wide layers give each invocation of the walk more runs of four units, keeping at least 4 workgroups of 16.
    expect(embedding({ vocabularySize: 65, hiddenSize: 512, cell: 'lstm' }, true, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4 x8']);
    expect(embedding({ vocabularySize: 65, hiddenSize: 256, cell: 'lstm' }, true, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4 x4']);
    expect(embedding({ vocabularySize: 65, hiddenSize: 128, cell: 'lstm' }, true, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4 x2']);
    expect(embedding({ vocabularySize: 7, hiddenSize: 8 }, true, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4']);
    expect([2048, 1024, 512, 256, 132, 4, 2056].map((width) => walkQuadsPerInvocation(width, true))).toEqual([8, 4, 2, 1, 1, 1, 2]);
    // SwiftShader keeps one run per invocation.
    expect(embedding({ vocabularySize: 65, hiddenSize: 512, cell: 'lstm' }, true)).toEqual(['groupTokenRows', 'embeddingBackwardGroupedVec4']);
    expect([2048, 1024, 512].map((width) => walkQuadsPerInvocation(width, false))).toEqual([1, 1, 1]);
  });

  it('AdamW runs the Adam kernel; the softmax variant switches above PER_ROW_SOFTMAX_MAX_CLASSES', () => {
    expect(optimizerKernelKey('adamw')).toBe('adamUpdate');
    expect(crossEntropyKernel(PER_ROW_SOFTMAX_MAX_CLASSES)).toBe('softmaxCrossEntropyPerRow');
    expect(crossEntropyKernel(PER_ROW_SOFTMAX_MAX_CLASSES + 1)).toBe('softmaxCrossEntropy');
    expect(lossKernel('mse', 10)).toBe('meanSquaredError');
  });
});

describe('the input and dropout choices', () => {
  it('tokenInput: a lookup with embeddingSize > 0, one-hot without, dense inputs neither', () => {
    expect(tokenInput({ inputKind: 'tokens', embeddingSize: 3 })).toBe('lookup');
    expect(tokenInput({ inputKind: 'tokens', embeddingSize: 0 })).toBe('one-hot');
    expect(tokenInput({ inputKind: 'dense', embeddingSize: 0 })).toBe('dense');
  });

  it('dropoutBetweenLayers: p > 0 and more than one layer', () => {
    expect(dropoutBetweenLayers({ dropout: 0.5, layers: 2 })).toBe(true);
    expect(dropoutBetweenLayers({ dropout: 0.5, layers: 1 })).toBe(false);
    expect(dropoutBetweenLayers({ dropout: 0, layers: 3 })).toBe(false);
  });
});

/** Configs that between them take every input kind, dropout on and off (and asked for on one layer), each cell (with H a multiple of 4 and not), loss and optimizer. */
const DISPATCH_CONFIGS: RnnModelConfig[] = [
  { cell: 'rnn', nonlinearity: 'relu', vocabularySize: 5, hiddenSize: 4, layers: 2, dropout: 0.3, clipGradientNorm: 1, optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9 } },
  { cell: 'lstm', vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, dropout: 0.5, optimizer: { type: 'adamw', learningRate: 0.01 } },
  { cell: 'gru', inputSize: 3, outputSize: 2, hiddenSize: 4, layers: 2, bidirectional: true, loss: 'mse', optimizer: { type: 'rmsprop', learningRate: 0.01 } },
  { cell: 'rnn', vocabularySize: 5, hiddenSize: 4, layers: 2 },
  // H not a multiple of 4: the word variants of the cells and the RNN step (H = 4 above: their vec4 variants).
  { cell: 'rnn', vocabularySize: 5, hiddenSize: 6 },
  { cell: 'lstm', vocabularySize: 5, hiddenSize: 5 },
  { cell: 'gru', vocabularySize: 5, hiddenSize: 3 },
];

function batchFor(config: ReturnType<typeof resolveConfig>): SequenceBatch {
  const [T, B] = [3, 2];
  const tokens = Array.from({ length: T * B }, (_, i) => i % config.outputSize);
  return config.inputKind === 'tokens'
    ? { timeSteps: T, batchSize: B, inputTokens: tokens, targets: tokens }
    : { timeSteps: T, batchSize: B, inputs: randomFloats(T * B * config.inputSize, 7, 1), targetValues: randomFloats(T * B * config.outputSize, 8, 1) };
}

describe.each(TEST_ADAPTERS)('kernelsNeededBy against the dispatches on %s', (adapter) => {
  for (const config of DISPATCH_CONFIGS) {
    const resolved = resolveConfig(config);
    const what = `${resolved.cell}, ${resolved.layers} layer(s), ${tokenInput(resolved)} inputs, dropout ${resolved.dropout}${resolved.bidirectional ? ', bidirectional' : ''}`;
    it(`${what}: a training step and an evaluation dispatch every listed kernel but the unused matmul cores, and nothing else`, async () => {
      const context = await contextFor(adapter);
      const kernels = await KernelSet.load(context.device);
      const dispatched = new Set<string>();
      const lookUp = kernels.kernel;
      // Every op finds its pipeline through kernel(key) as it adds the dispatch.
      kernels.kernel = function (this: KernelSet, key: string) {
        dispatched.add(key);
        return lookUp.call(this, key);
      };
      const model = await RnnModel.create(context, config);
      try {
        const batch = batchFor(resolved);
        expect(Number.isFinite(await model.trainStep(batch).loss())).toBe(true);
        expect(Number.isFinite(await model.evaluate(batch).loss())).toBe(true);
      } finally {
        delete (kernels as Partial<KernelSet>).kernel;
        model.dispose();
      }
      const needed = kernelsNeededBy(resolved, kernels.cpuAdapter, kernels.llvmpipe);
      for (const key of dispatched) expect(needed, `${key} is dispatched`).toContain(key);
      // All matmul cores a shape may pick are compiled (and the packing of B into panels); which ones run depends on the sizes.
      const isMatmul = (key: string) => key.startsWith('matmul ') || key === PACK_PANELS_KEY;
      const neededBesidesMatmul = needed.filter((key) => !isMatmul(key));
      expect([...dispatched].filter((key) => !isMatmul(key)).sort()).toEqual([...neededBesidesMatmul].sort());
      expect(dispatched.has('dropoutForward')).toBe(dropoutBetweenLayers(resolved));
      const vec4Key = resolved.cell === 'rnn' ? rnnStepKey(false, resolved.nonlinearity === 'relu', true) : `${resolved.cell}CellForwardVec4`;
      expect(dispatched.has(vec4Key), vec4Key).toBe(resolved.hiddenSize % 4 === 0);
    });
  }
});
