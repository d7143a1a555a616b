/**
 * Carried state (truncated BPTT) that nothing else disturbs: training, evaluation,
 * prediction, gradients-only passes and generation each carry their own state stream,
 * so running any of them between training chunks leaves training's losses exactly as
 * they were; named streams let runs of any kind continue each other; a refused
 * 'carry' allocates nothing.
 */
import { describe, expect, it } from 'vitest';
import { CharacterVocabulary, InvalidArgumentError, RnnModel, type RnnModelConfig, sampleText, TextBatches } from '../src/index.ts';
import type { GpuContext } from '../src/device/gpu-context.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const TEXT = 'the quick brown fox jumps over the lazy dog; a lazy dog sleeps. '.repeat(6);
const vocabulary = CharacterVocabulary.fromText(TEXT);
const CONFIG: RnnModelConfig = { cell: 'lstm', layers: 2, dropout: 0.25, vocabularySize: vocabulary.size, hiddenSize: 8, seed: 5, optimizer: { type: 'adam', learningRate: 0.02 } };
const CHUNKS = 6;

/** Something run between training chunks: it must leave training as it was. */
type Interlude = (model: RnnModel, chunk: number) => Promise<unknown>;

/**
 * Trains CHUNKS steps of T = 5, B = 3 with state carried from chunk to chunk (reset at
 * chunk 0), running `between` after every chunk; returns every step's loss and the
 * final parameters.
 */
async function trainCarried(context: GpuContext, between?: Interlude): Promise<{ losses: number[]; parameters: Record<string, Float32Array> }> {
  const model = await RnnModel.create(context, CONFIG);
  try {
    const batches = new TextBatches(vocabulary.encode(TEXT), 5, 3);
    const results = [];
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      results.push(model.trainStep({ ...batches.batch(chunk), ...(chunk > 0 ? { initialHidden: 'carry' as const } : {}) }));
      if (between) await between(model, chunk);
    }
    const losses = await Promise.all(results.map((result) => result.loss()));
    return { losses, parameters: await model.readParameters() };
  } finally {
    model.dispose();
  }
}

/** A validation batch of another shape than training's (T = 4, B = 2). */
function validationBatch(chunk: number) {
  return new TextBatches(vocabulary.encode(TEXT.slice(40)), 4, 2).batch(chunk);
}

/** Inputs only, in training's shape (T = 5, B = 3), from another part of the text. */
function predictionBatch(chunk: number) {
  const { timeSteps, batchSize, inputTokens } = new TextBatches(vocabulary.encode(TEXT.slice(7)), 5, 3).batch(chunk);
  return { timeSteps, batchSize, inputTokens };
}

/** Counts the GPU buffers created on `device` while `body` runs. */
async function buffersCreatedBy(device: GPUDevice, body: () => Promise<unknown>): Promise<number> {
  const create = device.createBuffer;
  let created = 0;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    created++;
    return create.call(this, descriptor);
  };
  try {
    await body();
  } finally {
    device.createBuffer = create;
  }
  return created;
}

/** Runs of every other kind, each carried from chunk to chunk on its own stream where it can be. */
const INTERLUDES: Record<string, Interlude> = {
  // Validation (another batch shape), carried on the evaluation stream.
  evaluate: (model, chunk) => model.evaluate({ ...validationBatch(chunk), ...(chunk > 0 ? { initialHidden: 'carry' as const } : {}) }).loss(),
  // Training's batch shape, forward only, carried on the prediction stream.
  predict: (model, chunk) => model.predict({ ...predictionBatch(chunk), ...(chunk > 0 ? { initialHidden: 'carry' as const } : {}) }),
  generate: (model, chunk) => model.generate({ primeTokens: vocabulary.encode('the '), length: 6, seed: chunk }),
  sampleText: (model, chunk) => sampleText(model, vocabulary, { prime: 'a', length: 5, seed: chunk }),
  // With dropout: its masks must not shift training's.
  computeGradients: (model, chunk) => model.computeGradients(validationBatch(chunk)).loss(),
};

describe.each(TEST_ADAPTERS)('state streams on %s', (adapter) => {
  /** Training alone, once per adapter: what every interleaved run must reproduce. */
  let alone: Promise<{ losses: number[]; parameters: Record<string, Float32Array> }> | undefined;
  const trainedAlone = async () => (alone ??= contextFor(adapter).then((context) => trainCarried(context)));

  for (const [name, between] of Object.entries(INTERLUDES)) {
    it(`${name} between carried training chunks leaves training's losses and parameters identical, bit for bit`, async () => {
      const want = await trainedAlone();
      expect(want.losses.every(Number.isFinite)).toBe(true);
      const interleaved = await trainCarried(await contextFor(adapter), between);
      expect(interleaved.losses).toEqual(want.losses);
      expect(interleaved.parameters).toEqual(want.parameters);
    });
  }

  it("a run told to use training's stream does move it on: the streams are what keeps them apart", async () => {
    const want = await trainedAlone();
    const disturbed = await trainCarried(await contextFor(adapter), (model, chunk) => model.predict(predictionBatch(chunk), { stream: 'training' }));
    expect(disturbed.losses[0]).toBe(want.losses[0]);
    for (let chunk = 1; chunk < CHUNKS; chunk++) expect(disturbed.losses[chunk], `chunk ${chunk}`).not.toBe(want.losses[chunk]);
  });

  it('consecutive predictions on a named stream continue each other, whatever runs between them', async () => {
    const model = await RnnModel.create(await contextFor(adapter), CONFIG);
    try {
      const first = await model.predict(predictionBatch(0), { stream: 'p' });
      const explicit = await model.predict({ ...predictionBatch(1), initialHidden: first.finalHidden, initialCell: await model.readFinalCell() });
      await model.predict(predictionBatch(0), { stream: 'p' });
      await model.predict(predictionBatch(3));
      await model.evaluate(validationBatch(2)).loss();
      await model.generate({ primeTokens: [1, 2], length: 3 });
      const carried = await model.predict({ ...predictionBatch(1), initialHidden: 'carry' }, { stream: 'p' });
      expect(carried.logits).toEqual(explicit.logits);
      expect(carried.finalHidden).toEqual(explicit.finalHidden);
    } finally {
      model.dispose();
    }
  });

  it("readFinalHidden and readFinalCell read the latest run's final states, whichever stream it used", async () => {
    const model = await RnnModel.create(await contextFor(adapter), CONFIG);
    try {
      const size = (batchSize: number) => CONFIG.layers! * batchSize * CONFIG.hiddenSize;
      await expect(model.readFinalHidden()).rejects.toThrow(/No run yet/);
      await model.trainStep(new TextBatches(vocabulary.encode(TEXT), 5, 3).batch(0)).loss();
      expect((await model.readFinalHidden()).length).toBe(size(3));
      await model.evaluate(validationBatch(0)).loss();
      expect((await model.readFinalCell()).length).toBe(size(2));
      const predicted = await model.predict(predictionBatch(0));
      expect(await model.readFinalHidden()).toEqual(predicted.finalHidden);
      await model.generate({ primeTokens: [1], length: 2 });
      expect((await model.readFinalHidden()).length).toBe(size(1));
    } finally {
      model.dispose();
    }
  });

  it("a refused 'carry' names the stream and allocates nothing; a bad stream name is refused", async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, CONFIG);
    try {
      const training = new TextBatches(vocabulary.encode(TEXT), 5, 3).batch(0);
      const refusals: [() => Promise<unknown>, RegExp][] = [
        [() => model.predict({ ...predictionBatch(0), initialHidden: 'carry' }), /no earlier run on stream 'prediction'/],
        [async () => model.trainStep({ ...training, initialHidden: 'carry' }), /no earlier run on stream 'training'/],
      ];
      for (const [call, message] of refusals) {
        const created = await buffersCreatedBy(context.device, () => expect(call()).rejects.toThrow(message));
        expect(created).toBe(0);
      }
      await model.trainStep(training).loss();
      // Training's stream holds B = 3; evaluation's none yet.
      const more: [() => Promise<unknown>, RegExp][] = [
        [async () => model.evaluate({ ...validationBatch(0), initialHidden: 'carry' }), /no earlier run on stream 'evaluation'/],
        [async () => model.evaluate({ ...validationBatch(0), initialHidden: 'carry' }, { stream: 'training' }), /batchSize 2, but stream 'training' carries a state of batch size 3/],
      ];
      for (const [call, message] of more) {
        const created = await buffersCreatedBy(context.device, () => expect(call()).rejects.toThrow(message));
        expect(created).toBe(0);
      }
      for (const stream of ['', 3, null]) {
        expect(() => model.evaluate(validationBatch(0), { stream } as never)).toThrow(InvalidArgumentError);
        expect(() => model.evaluate(validationBatch(0), { stream } as never)).toThrow(/options\.stream/);
      }
      // Nothing refused changed training's stream: it carries on.
      expect(Number.isFinite(await model.trainStep({ ...new TextBatches(vocabulary.encode(TEXT), 5, 3).batch(1), initialHidden: 'carry' }).loss())).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it("gradients-only passes draw their own dropout masks, and a checkpoint continues their sequence", async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, CONFIG);
    try {
      const training = new TextBatches(vocabulary.encode(TEXT), 5, 3);
      await model.computeGradients(validationBatch(0)).loss();
      const gradientMasks = model.lastDropoutMasks();
      await model.trainStep(training.batch(0)).loss();
      // Element i of a mask depends on its key and i only: equal prefixes would mean equal keys.
      expect(model.lastDropoutMasks()[0].subarray(0, gradientMasks[0].length)).not.toEqual(gradientMasks[0]);
      const resumed = await RnnModel.fromCheckpoint(context, await model.saveCheckpoint());
      try {
        for (const each of [model, resumed]) await each.computeGradients(validationBatch(1)).loss();
        expect(resumed.lastDropoutMasks()).toEqual(model.lastDropoutMasks());
        expect(model.lastDropoutMasks()).not.toEqual(gradientMasks);
      } finally {
        resumed.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
