/**
 * The full training step on the GPU against the float64 CPU reference: loss,
 * every gradient, hidden states and the final state; then a 20-step loss
 * trajectory with Adam and one SGD step, on each software adapter.
 */
import { describe, expect, it } from 'vitest';
import type { SequenceBatch } from '../src/model/batch.ts';
import type { RnnModelConfig } from '../src/model/config.ts';
import { RnnModel } from '../src/model/rnn-model.ts';
import {
  ReferenceOptimizer,
  type ReferenceBatch,
  type ReferenceDims,
  type ReferenceParameters,
  rnnForward,
  rnnLossAndGradients,
} from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats, seededRandom } from './random.ts';

// Sizes that are not multiples of the 32-wide matmul tile or the 64-wide workgroups.
const TOKENS = { vocabularySize: 11, hiddenSize: 19, timeSteps: 6, batchSize: 5 };
const DENSE = { inputSize: 7, hiddenSize: 33, outputSize: 5, timeSteps: 4, batchSize: 3 };
const GRADIENT_TOLERANCE = { relative: 1e-4, absolute: 1e-6 };

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

function randomTokens(count: number, bound: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: count }, () => Math.floor(random() * bound));
}

function tokenBatch(seed: number): SequenceBatch & ReferenceBatch {
  const { timeSteps, batchSize, vocabularySize } = TOKENS;
  return {
    timeSteps,
    batchSize,
    inputTokens: randomTokens(timeSteps * batchSize, vocabularySize, seed),
    targets: randomTokens(timeSteps * batchSize, vocabularySize, seed + 1),
  };
}

function denseBatch(seed: number): SequenceBatch & ReferenceBatch {
  const { timeSteps, batchSize, inputSize, hiddenSize, outputSize } = DENSE;
  return {
    timeSteps,
    batchSize,
    inputs: randomFloats(timeSteps * batchSize * inputSize, seed, 2),
    targets: randomTokens(timeSteps * batchSize, outputSize, seed + 1),
    initialHidden: randomFloats(batchSize * hiddenSize, seed + 2, 0.9),
  };
}

const tokenConfig: RnnModelConfig = { vocabularySize: TOKENS.vocabularySize, hiddenSize: TOKENS.hiddenSize, seed: 7 };
const tokenDims: ReferenceDims = { inputSize: TOKENS.vocabularySize, hiddenSize: TOKENS.hiddenSize, outputSize: TOKENS.vocabularySize };
const denseConfig: RnnModelConfig = { inputSize: DENSE.inputSize, hiddenSize: DENSE.hiddenSize, outputSize: DENSE.outputSize, seed: 3 };
const denseDims: ReferenceDims = { inputSize: DENSE.inputSize, hiddenSize: DENSE.hiddenSize, outputSize: DENSE.outputSize };

describe.each(TEST_ADAPTERS)('training step on %s', (adapter) => {
  for (const [inputKind, config, dims, makeBatch] of [
    ['token', tokenConfig, tokenDims, tokenBatch],
    ['dense', denseConfig, denseDims, denseBatch],
  ] as const) {
    it(`${inputKind} inputs: loss, every gradient, hidden states and final state match the reference`, async () => {
      const model = await RnnModel.create(await contextFor(adapter), config);
      try {
        // Scale the weights up so that tanh is used well away from its linear part.
        const initial = await model.readParameters();
        const scaled = Object.fromEntries(Object.entries(initial).map(([name, values]) => [name, values.map((v) => v * 3)]));
        model.writeParameters(scaled);
        const parameters = toFloat64(await model.readParameters());
        const batch = makeBatch(42);

        const step = model.computeGradients(batch);
        const want = rnnLossAndGradients(parameters, dims, batch);
        const loss = await step.loss();
        expect(Math.abs(loss - want.loss) / want.loss, `loss ${loss} vs reference ${want.loss}`).toBeLessThan(1e-5);

        const gradients = await model.readGradients();
        for (const name of Object.keys(want.gradients)) {
          expectClose(`gradient ${name}`, gradients[name], want.gradients[name], GRADIENT_TOLERANCE);
        }
        expectClose('hidden states', await model.readHiddenStates(), want.hiddenStates, { relative: 1e-5, absolute: 1e-6 });
        expectClose('final hidden state', await model.readFinalHidden(), want.finalHidden, { relative: 1e-5, absolute: 1e-6 });
        // Gradients-only passes leave the parameters alone.
        expectClose('parameters after computeGradients', (await model.readParameters()).weight_hh_l0, parameters.weight_hh_l0, { relative: 0, absolute: 0 });
      } finally {
        model.dispose();
      }
    });
  }

  it('forward-only prediction gives the reference logits and carries state between calls', async () => {
    const model = await RnnModel.create(await contextFor(adapter), tokenConfig);
    try {
      const parameters = toFloat64(await model.readParameters());
      const batch = tokenBatch(5);
      const { logits, finalHidden } = await model.predict({ timeSteps: batch.timeSteps, batchSize: batch.batchSize, inputTokens: batch.inputTokens });
      const want = rnnForward(parameters, tokenDims, batch);
      expectClose('logits', logits, want.logits, { relative: 1e-5, absolute: 1e-6 });
      expectClose('final hidden', finalHidden, want.finalHidden, { relative: 1e-5, absolute: 1e-6 });

      // The next chunk starts from the carried state, as one long sequence would.
      const next = tokenBatch(6);
      const carried = await model.predict({ timeSteps: next.timeSteps, batchSize: next.batchSize, inputTokens: next.inputTokens, initialHidden: 'carry' });
      const wantNext = rnnForward(parameters, tokenDims, { ...next, initialHidden: want.finalHidden });
      expectClose('logits after carry', carried.logits, wantNext.logits, { relative: 1e-5, absolute: 1e-6 });
    } finally {
      model.dispose();
    }
  });

  it('a 20-step Adam trajectory follows the reference optimizer', async () => {
    const optimizer = { type: 'adam', learningRate: 0.01 } as const;
    const model = await RnnModel.create(await contextFor(adapter), { ...tokenConfig, optimizer });
    try {
      const parameters = toFloat64(await model.readParameters());
      const adam = new ReferenceOptimizer({ type: 'adam', learningRate: optimizer.learningRate });
      const steps = [];
      const wantLosses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const batch = tokenBatch(100 + (step % 4));
        steps.push(model.trainStep(batch));
        const { loss, gradients } = rnnLossAndGradients(parameters, tokenDims, batch);
        wantLosses.push(loss);
        adam.step(parameters, gradients);
      }
      const losses = await Promise.all(steps.map((step) => step.loss()));
      expect(steps.map((step) => step.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expectClose('Adam loss trajectory', losses, wantLosses, { relative: 1e-4, absolute: 0 });
      expect(losses[19]).toBeLessThan(losses[0]);
      const after = await model.readParameters();
      for (const name of Object.keys(parameters)) {
        expectClose(`parameter ${name} after 20 Adam steps`, after[name], parameters[name], { relative: 1e-3, absolute: 1e-5 });
      }
    } finally {
      model.dispose();
    }
  });

  it('one SGD step updates every parameter as the reference does', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { ...denseConfig, optimizer: { type: 'sgd', learningRate: 0.5 } });
    try {
      const parameters = toFloat64(await model.readParameters());
      const batch = denseBatch(9);
      await model.trainStep(batch).loss();
      const { gradients } = rnnLossAndGradients(parameters, denseDims, batch);
      new ReferenceOptimizer({ type: 'sgd', learningRate: 0.5 }).step(parameters, gradients);
      const after = await model.readParameters();
      for (const name of Object.keys(parameters)) {
        expectClose(`parameter ${name} after SGD`, after[name], parameters[name], { relative: 1e-5, absolute: 1e-6 });
      }
    } finally {
      model.dispose();
    }
  });
});
