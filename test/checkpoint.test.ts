/**
 * Checkpoints hold the whole training state: N steps straight equal k steps,
 * save, load into a new model and N − k more steps, bit for bit, with Adam,
 * a schedule, clipping and dropout all in play.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, RnnModel, type RnnModelConfig, SafetensorsError } from '../src/index.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const CONFIG: RnnModelConfig = {
  cell: 'gru',
  layers: 2,
  dropout: 0.25,
  vocabularySize: 7,
  hiddenSize: 6,
  seed: 12,
  optimizer: { type: 'adamw', learningRate: 0.01, weightDecay: 0.05 },
  schedule: { type: 'cosine', warmupSteps: 2, totalSteps: 8 },
  clipGradientNorm: 0.5,
};

function batch(step: number) {
  const random = seededRandom(1000 + step);
  const ids = () => Uint32Array.from({ length: 15 }, () => Math.floor(random() * 7));
  return { timeSteps: 5, batchSize: 3, inputTokens: ids(), targets: ids() };
}

const bits = (values: Record<string, Float32Array>) => Object.fromEntries(Object.entries(values).map(([name, v]) => [name, Array.from(new Uint32Array(v.buffer))]));

describe.each(TEST_ADAPTERS)('checkpoints on %s', (adapter) => {
  it('8 steps straight equal 3 steps + checkpoint + load + 5 steps, bit for bit', async () => {
    const context = await contextFor(adapter);
    const straight = await RnnModel.create(context, CONFIG);
    const first = await RnnModel.create(context, CONFIG);
    let resumed: RnnModel | undefined;
    try {
      const straightLosses = [];
      for (let step = 0; step < 8; step++) straightLosses.push(await straight.trainStep(batch(step)).loss());
      for (let step = 0; step < 3; step++) first.trainStep(batch(step));
      const checkpoint = await first.saveCheckpoint({ data_position: '3' });
      const file = decodeSafetensors(checkpoint);
      expect(file.metadata).toMatchObject({ kind: 'checkpoint', data_position: '3', cell: 'gru' });
      expect(Object.keys(file.tensors).filter((name) => name.startsWith('optimizer.first.'))).toHaveLength(Object.keys(first.parameterShapes).length);

      resumed = await RnnModel.fromCheckpoint(context, checkpoint);
      expect(resumed.stepCount).toBe(3);
      expect(resumed.fullConfig).toEqual(first.fullConfig);
      const resumedLosses = [];
      for (let step = 3; step < 8; step++) resumedLosses.push(await resumed.trainStep(batch(step)).loss());
      expect(resumedLosses).toEqual(straightLosses.slice(3));
      expect(bits(await resumed.readParameters())).toEqual(bits(await straight.readParameters()));
      // The schedule resumed at its position: step 4's rate is the straight run's.
      expect(resumed.learningRateAt(4)).toBe(straight.learningRateAt(4));
    } finally {
      straight.dispose();
      first.dispose();
      resumed?.dispose();
    }
  });

  it('a checkpoint loads as weights; a weights file is not a checkpoint', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, CONFIG);
    try {
      model.trainStep(batch(0));
      const fromCheckpoint = await RnnModel.fromWeights(context, await model.saveCheckpoint());
      expect(bits(await fromCheckpoint.readParameters())).toEqual(bits(await model.readParameters()));
      fromCheckpoint.dispose();
      await expect(RnnModel.fromCheckpoint(context, await model.saveWeights())).rejects.toThrow(SafetensorsError);
      await expect(RnnModel.fromCheckpoint(context, await model.saveWeights())).rejects.toThrow('not a checkpoint');
    } finally {
      model.dispose();
    }
  });
});

describe('checkpoints on the CPU reference', () => {
  it('8 reference steps straight equal 3 steps + saved state + a new optimizer restored + 5 steps, bit for bit', async () => {
    const { ReferenceOptimizer, rnnLossAndGradients } = await import('../src/reference/index.ts');
    const dims = { cell: 'gru' as const, layers: 2, inputSize: 7, hiddenSize: 6, outputSize: 7 };
    const random = seededRandom(77);
    const initial = Object.fromEntries(
      Object.entries({ weight_ih_l0: [18, 7], weight_hh_l0: [18, 6], bias_ih_l0: [18], bias_hh_l0: [18], weight_ih_l1: [18, 6], weight_hh_l1: [18, 6], bias_ih_l1: [18], bias_hh_l1: [18], weight: [7, 6], bias: [7] }).map(
        ([name, shape]) => [name, Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() - 0.5)],
      ),
    );
    const options = { type: 'adamw' as const, learningRate: 0.01, weightDecay: 0.05 };
    const train = (parameters: Record<string, Float64Array>, optimizer: InstanceType<typeof ReferenceOptimizer>, from: number, to: number) => {
      for (let step = from; step < to; step++) optimizer.step(parameters, rnnLossAndGradients(parameters, dims, batch(step)).gradients);
    };
    const straight = Object.fromEntries(Object.entries(initial).map(([n, v]) => [n, v.slice()]));
    train(straight, new ReferenceOptimizer(options), 0, 8);
    const first = Object.fromEntries(Object.entries(initial).map(([n, v]) => [n, v.slice()]));
    const optimizer = new ReferenceOptimizer(options);
    train(first, optimizer, 0, 3);
    const saved = { parameters: Object.fromEntries(Object.entries(first).map(([n, v]) => [n, v.slice()])), optimizer: optimizer.saveState() };
    const resumedOptimizer = new ReferenceOptimizer(options);
    resumedOptimizer.restoreState(saved.optimizer);
    train(saved.parameters, resumedOptimizer, 3, 8);
    for (const name of Object.keys(straight)) expect(Array.from(saved.parameters[name])).toEqual(Array.from(straight[name]));
  });
});
