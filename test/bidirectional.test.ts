/**
 * Bidirectional models on the GPU against the bidirectional float64 reference: loss, every
 * gradient, final states [2L, B, H], initial-state gradients and logits, for every cell with
 * one and two layers, dense inputs with lengths and initial states; token inputs one-hot and
 * through an embedding, dropout between layers and many-to-one targets; what is refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SequenceBatch } from '../src/model/batch.ts';
import type { RnnModelConfig } from '../src/model/config.ts';
import { RnnModel } from '../src/model/rnn-model.ts';
import { bidirectionalLossAndGradients, type BidirectionalBatch, type ReferenceCell, type ReferenceDims, type ReferenceParameters } from '../src/reference/index.ts';
import { InvalidArgumentError } from '../src/validation.ts';
import { compareArrays, expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats, seededRandom } from './random.ts';

const TOLERANCE = { relative: 1e-4, absolute: 2e-6 };
const T = 5;
const B = 3;
const H = 6;
const LENGTHS = [5, 2, 4];

function toFloat64(parameters: Record<string, Float32Array>): ReferenceParameters {
  return Object.fromEntries(Object.entries(parameters).map(([name, values]) => [name, Float64Array.from(values)]));
}

function randomIntegers(count: number, bound: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: count }, () => Math.floor(random() * bound));
}

/** Logits rows of positions within their sequence (PyTorch's padded rows are zero, ours are not read). */
function countedRows(logits: ArrayLike<number>, V: number, lengths: number[]): number[] {
  const rows: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengths[b]) rows.push(...Array.from(logits).slice((t * B + b) * V, (t * B + b + 1) * V));
  return rows;
}

const CELLS: [ReferenceCell, RnnModelConfig['cell'], RnnModelConfig['nonlinearity']][] = [
  ['rnn_tanh', 'rnn', 'tanh'],
  ['rnn_relu', 'rnn', 'relu'],
  ['lstm', 'lstm', 'tanh'],
  ['gru', 'gru', 'tanh'],
];

/** The worst relative error of any compared value (|want| > 1e-3), per adapter, printed at the end. */
const worst = new Map<string, number>();
function record(adapter: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const { maxRelative } = compareArrays(got, want, { relative: 0, absolute: 1e-3 });
  worst.set(adapter, Math.max(worst.get(adapter) ?? 0, maxRelative));
}
afterAll(() => {
  for (const [adapter, error] of worst) console.log(`bidirectional GPU vs float64 reference on ${adapter}: worst relative error ${error.toExponential(2)}`);
});

async function compareStep(adapter: string, model: RnnModel, dims: ReferenceDims, batch: SequenceBatch & BidirectionalBatch, what: string): Promise<void> {
  const parameters = toFloat64(await model.readParameters());
  const step = model.computeGradients(batch);
  const masks = model.lastDropoutMasks();
  const want = bidirectionalLossAndGradients(parameters, dims, { ...batch, dropoutMasks: masks.length ? masks : undefined });
  expectClose(`${what} loss`, [await step.loss()], [want.loss], TOLERANCE);
  const gradients = await model.readGradients();
  for (const name of Object.keys(want.gradients)) {
    expectClose(`${what} gradient ${name}`, gradients[name], want.gradients[name], TOLERANCE);
    record(adapter, gradients[name], want.gradients[name]);
  }
  expectClose(`${what} final hidden`, await model.readFinalHidden(), want.finalHidden, TOLERANCE);
  if (dims.cell === 'lstm') expectClose(`${what} final cell`, await model.readFinalCell(), want.finalCell!, TOLERANCE);
  const stateGradients = await model.readInitialStateGradients();
  expectClose(`${what} initial hidden gradient`, stateGradients.hidden, want.dInitialHidden, TOLERANCE);
  if (dims.cell === 'lstm') expectClose(`${what} initial cell gradient`, stateGradients.cell!, want.dInitialCell!, TOLERANCE);
}

describe.each(TEST_ADAPTERS)('bidirectional layers on %s', (adapter) => {
  for (const [referenceCell, cell, nonlinearity] of CELLS) {
    for (const layers of [1, 2]) {
      it(`${referenceCell}, ${layers} layer(s): loss, gradients, final states, initial-state gradients and logits with lengths`, async () => {
        const I = 4;
        const V = 5;
        const config: RnnModelConfig = { cell, nonlinearity, layers, bidirectional: true, inputSize: I, hiddenSize: H, outputSize: V, seed: 3 };
        const dims: ReferenceDims = { inputSize: I, hiddenSize: H, outputSize: V, cell: referenceCell, layers };
        const model = await RnnModel.create(await contextFor(adapter), config);
        try {
          // Weights ×2 so the cells work away from their linear parts.
          model.writeParameters(Object.fromEntries(Object.entries(await model.readParameters()).map(([name, values]) => [name, values.map((v) => v * 2)])));
          expect(model.parameterShapes['weight_ih_l0_reverse']).toEqual([(cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1) * H, I]);
          if (layers > 1) expect(model.parameterShapes['weight_ih_l1_reverse'][1]).toBe(2 * H);
          expect(model.parameterShapes['weight']).toEqual([V, 2 * H]);
          const blocks = 2 * layers;
          const batch = {
            timeSteps: T,
            batchSize: B,
            inputs: randomFloats(T * B * I, 11, 1.5),
            targets: randomIntegers(T * B, V, 12),
            lengths: LENGTHS,
            initialHidden: randomFloats(blocks * B * H, 13, 0.8),
            ...(cell === 'lstm' ? { initialCell: randomFloats(blocks * B * H, 14, 0.8) } : {}),
          };
          await compareStep(adapter, model, dims, batch, referenceCell);
          const parameters = toFloat64(await model.readParameters());
          const want = bidirectionalLossAndGradients(parameters, dims, batch);
          const prediction = await model.predict(batch);
          expectClose('logits', countedRows(prediction.logits, V, LENGTHS), countedRows(want.logits, V, LENGTHS), TOLERANCE);
          expectClose('predicted final hidden', prediction.finalHidden, want.finalHidden, TOLERANCE);
        } finally {
          model.dispose();
        }
      });
    }
  }

  it('token inputs through an embedding, dropout between the layers, many-to-one targets on both directions\' final states', async () => {
    const V = 7;
    const config: RnnModelConfig = { cell: 'lstm', layers: 2, bidirectional: true, vocabularySize: V, embeddingSize: 3, hiddenSize: H, dropout: 0.3, outputSize: 4, seed: 5 };
    const dims: ReferenceDims = { inputSize: V, hiddenSize: H, outputSize: 4, cell: 'lstm', layers: 2, embeddingSize: 3 };
    const model = await RnnModel.create(await contextFor(adapter), config);
    try {
      const batch = { timeSteps: T, batchSize: B, inputTokens: randomIntegers(T * B, V, 21), sequenceTargets: [3, 0, 2], lengths: LENGTHS };
      await compareStep(adapter, model, dims, batch, 'embedding, dropout, many-to-one');
      expect(model.lastDropoutMasks()[0].length).toBe(T * B * 2 * H);
    } finally {
      model.dispose();
    }
  });

  it('one-hot token inputs, per-step targets, no lengths', async () => {
    const V = 6;
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', layers: 2, bidirectional: true, vocabularySize: V, hiddenSize: H, seed: 8 });
    try {
      const batch = { timeSteps: T, batchSize: B, inputTokens: randomIntegers(T * B, V, 31), targets: randomIntegers(T * B, V, 32) };
      await compareStep(adapter, model, { inputSize: V, hiddenSize: H, outputSize: V, cell: 'gru', layers: 2 }, batch, 'one-hot tokens');
    } finally {
      model.dispose();
    }
  });

  it('edge shapes: one step and one sequence (LSTM, 2 layers); regression (MSE) with lengths (GRU)', async () => {
    const context = await contextFor(adapter);
    const tiny = await RnnModel.create(context, { cell: 'lstm', layers: 2, bidirectional: true, inputSize: 3, hiddenSize: 5, outputSize: 2, seed: 6 });
    try {
      const batch = { timeSteps: 1, batchSize: 1, inputs: randomFloats(3, 41, 1), targets: [1], initialHidden: randomFloats(4 * 5, 42, 0.5) };
      await compareStep(adapter, tiny, { inputSize: 3, hiddenSize: 5, outputSize: 2, cell: 'lstm', layers: 2 }, batch, 'T = 1, B = 1');
    } finally {
      tiny.dispose();
    }
    const regression = await RnnModel.create(context, { cell: 'gru', layers: 2, bidirectional: true, inputSize: 2, hiddenSize: 4, outputSize: 3, loss: 'mse', seed: 7 });
    try {
      const batch = { timeSteps: T, batchSize: B, inputs: randomFloats(T * B * 2, 43, 1), targetValues: randomFloats(T * B * 3, 44, 1), lengths: LENGTHS };
      await compareStep(adapter, regression, { inputSize: 2, hiddenSize: 4, outputSize: 3, cell: 'gru', layers: 2 }, batch, 'MSE with lengths');
    } finally {
      regression.dispose();
    }
  });

  it("refuses 'carry', generate() and singleBias with a clear error, before any GPU work", async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'gru', bidirectional: true, vocabularySize: 5, hiddenSize: 4 });
    try {
      const batch = { timeSteps: 2, batchSize: 1, inputTokens: [1, 2], targets: [2, 3] };
      expect(() => model.trainStep({ ...batch, initialHidden: 'carry' })).toThrow(InvalidArgumentError);
      expect(() => model.trainStep({ ...batch, initialHidden: 'carry' })).toThrow(/bidirectional/);
      expect(() => model.trainStep({ ...batch, initialHidden: new Float32Array(4) })).toThrow(/layers·2/);
      await expect(model.generate({ primeTokens: [1], length: 3 })).rejects.toThrow(InvalidArgumentError);
      await expect(RnnModel.create(context, { cell: 'rnn', bidirectional: true, singleBias: true, vocabularySize: 5, hiddenSize: 4 })).rejects.toThrow(/singleBias/);
      await expect(RnnModel.create(context, { bidirectional: 'yes' as never, vocabularySize: 5, hiddenSize: 4 })).rejects.toThrow(/bidirectional/);
    } finally {
      model.dispose();
    }
  });
});

describe.each(TEST_ADAPTERS)('bidirectional models in files on %s', (adapter) => {
  it('weights round-trip bit for bit with bidirectional in the metadata; a PyTorch state_dict with _reverse names loads as bidirectional', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { cell: 'lstm', layers: 2, bidirectional: true, vocabularySize: 6, hiddenSize: 4, seed: 2 });
    try {
      const batch = { timeSteps: 4, batchSize: 2, inputTokens: [1, 2, 3, 4, 5, 0, 1, 2], targets: [2, 3, 4, 5, 0, 1, 2, 3], lengths: [4, 3] };
      const before = await model.predict(batch);
      const bytes = await model.saveWeights();
      const { decodeSafetensors, encodeSafetensors } = await import('../src/io/safetensors.ts');
      const file = decodeSafetensors(bytes);
      expect(file.metadata.bidirectional).toBe('true');
      expect(Object.keys(file.tensors)).toContain('rnn.weight_ih_l1_reverse');
      const again = await RnnModel.fromWeights(context, bytes);
      try {
        expect(again.config.bidirectional).toBe(true);
        const after = await again.predict(batch);
        expect(Array.from(after.logits)).toEqual(Array.from(before.logits));
        expect(Array.from(after.finalHidden)).toEqual(Array.from(before.finalHidden));
      } finally {
        again.dispose();
      }
      // The same tensors without any metadata, as torch.save(state_dict) → safetensors gives them.
      const plain = await RnnModel.fromWeights(context, encodeSafetensors({ tensors: file.tensors, metadata: {} }));
      try {
        expect(plain.config.bidirectional).toBe(true);
        expect(Array.from((await plain.predict(batch)).logits)).toEqual(Array.from(before.logits));
      } finally {
        plain.dispose();
      }
      // A unidirectional model refuses the file, naming what differs.
      const single = await RnnModel.create(context, { cell: 'lstm', layers: 2, vocabularySize: 6, hiddenSize: 4 });
      try {
        expect(() => single.loadWeights(bytes)).toThrow(/bidirectional/);
      } finally {
        single.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('a checkpoint resumes bit for bit', async () => {
    const context = await contextFor(adapter);
    const config: RnnModelConfig = { cell: 'gru', layers: 2, bidirectional: true, dropout: 0.2, vocabularySize: 5, hiddenSize: 4, seed: 4, optimizer: { type: 'adam', learningRate: 0.01 } };
    const batch = (k: number) => ({ timeSteps: 3, batchSize: 2, inputTokens: [k % 5, 1, 2, 3, 4, 0], sequenceTargets: [k % 5, 2], lengths: [3, 2] });
    const model = await RnnModel.create(context, config);
    try {
      await model.trainStep(batch(0)).loss();
      const checkpoint = await model.saveCheckpoint();
      const resumed = await RnnModel.fromCheckpoint(context, checkpoint);
      try {
        const losses = await Promise.all([1, 2].map(async (k) => [await model.trainStep(batch(k)).loss(), await resumed.trainStep(batch(k)).loss()]));
        for (const [original, again] of losses) expect(again).toBe(original);
        const [a, b] = [await model.readParameters(), await resumed.readParameters()];
        for (const name of Object.keys(a)) expect(Array.from(b[name]), name).toEqual(Array.from(a[name]));
      } finally {
        resumed.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

describe.each(TEST_ADAPTERS)('bidirectional models in the training loop on %s', (adapter) => {
  it('train() runs chunks from zero states (carry off by default) and refuses carry: true', async () => {
    const { train, TextBatches } = await import('../src/index.ts');
    const model = await RnnModel.create(await contextFor(adapter), { cell: 'gru', bidirectional: true, vocabularySize: 4, hiddenSize: 6, seed: 1, optimizer: { type: 'adam', learningRate: 0.05 } });
    try {
      const tokens = Uint32Array.from({ length: 200 }, (_, i) => [0, 1, 2, 3, 2, 1][i % 6]);
      const batches = new TextBatches(tokens, 8, 4);
      await expect(train(model, { batches, steps: 2, carry: true })).rejects.toThrow(InvalidArgumentError);
      expect(model.stepCount).toBe(0);
      const result = await train(model, { batches, steps: 30 });
      expect(model.stepCount).toBe(30);
      const losses = result.trainingLosses.map((point) => point.loss);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    } finally {
      model.dispose();
    }
  });
});

describe.each(TEST_ADAPTERS)('bidirectional dispatches on %s', (adapter) => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: twice a layer's dispatches, plus a constant few per layer (mirror and join forward; split and mirror back backward)`, async () => {
      const context = await contextFor(adapter);
      const L = 2;
      const base = { cell, layers: L, vocabularySize: 5, hiddenSize: 4 };
      const single = await RnnModel.create(context, base);
      const both = await RnnModel.create(context, { ...base, bidirectional: true });
      try {
        const [u, b] = [single.dispatchesPerStep(6, 2), both.dispatchesPerStep(6, 2)];
        // forward: the head (1) once; each layer's dispatches twice; per layer one mirror and one join.
        expect(b.forward).toBe(1 + 2 * (u.forward - 1) + 2 * L);
        // backward: the head's three once; each layer's twice; per layer one split, and above the first one mirror back.
        expect(b.backward).toBe(3 + 2 * (u.backward - 3) + L + (L - 1));
        expect(b.loss).toBe(u.loss);
        expect(b.update).toBe(u.update);
        console.log(`${cell} L=2 T=6 dispatches per step: unidirectional ${u.total}, bidirectional ${b.total}`);
      } finally {
        single.dispose();
        both.dispose();
      }
    });
  }
});
