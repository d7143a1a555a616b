/**
 * ONNX export checked by ONNX Runtime: every cell × {1, 2} layers × {one-hot tokens,
 * learned embedding, dense inputs}, trained for a few steps, exported, run in
 * onnxruntime-node on the CPU, and compared with predict(): logits and final
 * states (hidden, and cell for LSTM), with initial states fed as inputs and
 * exported as zeros.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, InvalidArgumentError, RnnModel, type RnnModelConfig } from '../src/index.ts';
import { encodeVarint, MessageWriter } from '../src/io/onnx-protobuf.ts';
import { expectClose, compareArrays } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats, seededRandom } from './random.ts';

const CELLS = [
  { name: 'rnn_tanh', config: { cell: 'rnn', nonlinearity: 'tanh' } },
  { name: 'rnn_relu', config: { cell: 'rnn', nonlinearity: 'relu' } },
  { name: 'lstm', config: { cell: 'lstm' } },
  { name: 'gru', config: { cell: 'gru' } },
] as const;
const INPUTS = ['tokens', 'embedding', 'dense'] as const;
const SIZES = { vocabulary: 7, embedding: 4, dense: 3, hidden: 6, output: 5, timeSteps: 5, batchSize: 3 };
/** Both sides compute in float32 with different summation orders. */
const TOLERANCE = { relative: 1e-5, absolute: 2e-6 };

const worst = { logits: 0, states: 0 };
const WARM_UP_TIMEOUT = 600_000;
afterAll(() => console.log(`ONNX Runtime vs predict(): worst abs error logits ${worst.logits.toExponential(2)}, final states ${worst.states.toExponential(2)}`));

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>, kind: keyof typeof worst): void {
  worst[kind] = Math.max(worst[kind], compareArrays(got, want, TOLERANCE).maxAbsolute);
  expectClose(what, got, want, TOLERANCE);
}

function configFor(cell: (typeof CELLS)[number], layers: number, input: (typeof INPUTS)[number], seed: number): RnnModelConfig {
  return {
    ...cell.config,
    layers,
    hiddenSize: SIZES.hidden,
    outputSize: SIZES.output,
    ...(input === 'dense' ? { inputSize: SIZES.dense } : { vocabularySize: SIZES.vocabulary }),
    ...(input === 'embedding' ? { embeddingSize: SIZES.embedding } : {}),
    optimizer: { type: 'adam', learningRate: 0.05 },
    seed,
  };
}

describe('protobuf writer', () => {
  it('encodes varints and fields as the protobuf wire format does', () => {
    expect([...encodeVarint(1)]).toEqual([0x01]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(2 ** 35)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => encodeVarint(0.5)).toThrow(RangeError);
    // field 1 varint 150; field 2 string "hi": the examples of the protobuf encoding guide.
    expect([...new MessageWriter().varint(1, 150).string(2, 'hi').finish()]).toEqual([0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69]);
  });
});

describe.each(TEST_ADAPTERS)('ONNX export run in ONNX Runtime, on %s', (adapter) => {
  // Every kernel compiled up front, so that no test pays for it (minutes on a loaded software adapter).
  beforeAll(async () => {
    await kernelsFor(adapter);
  }, WARM_UP_TIMEOUT);

  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      it(`${cell.name}, ${layers} layer${layers > 1 ? 's' : ''} × tokens, embedding, dense: logits and final states match predict()`, async () => {
        const context = await contextFor(adapter);
        let seed = 10 * layers;
        for (const input of INPUTS) {
          const what = `${cell.name} L=${layers} ${input}`;
          seed += 7;
          const model = await RnnModel.create(context, configFor(cell, layers, input, seed));
          try {
            const { timeSteps: T, batchSize: B, hidden: H } = SIZES;
            const random = seededRandom(seed);
            const ids = () => Array.from({ length: T * B }, () => Math.floor(random() * SIZES.vocabulary));
            const data = input === 'dense' ? { inputs: randomFloats(T * B * SIZES.dense, seed + 1, 1.5) } : { inputTokens: ids() };
            const targets = Array.from({ length: T * B }, () => Math.floor(random() * SIZES.output));
            for (let step = 0; step < 3; step++) model.trainStep({ timeSteps: T, batchSize: B, ...data, targets });

            const lstm = cell.config.cell === 'lstm';
            const initialHidden = randomFloats(layers * B * H, seed + 2, 0.8);
            const initialCell = randomFloats(layers * B * H, seed + 3, 0.8);
            const session = await ort.InferenceSession.create(await exportOnnx(model));
            const zeroSession = await ort.InferenceSession.create(await exportOnnx(model, { initialStates: 'zeros' }));
            const feeds: Record<string, ort.Tensor> =
              input === 'dense'
                ? { inputs: new ort.Tensor('float32', data.inputs!, [T, B, SIZES.dense]) }
                : { tokens: new ort.Tensor('int64', BigInt64Array.from(data.inputTokens!, BigInt), [T, B]) };
            const stateInputs = ['initial_hidden', ...(lstm ? ['initial_cell'] : [])];
            expect(session.inputNames).toEqual([input === 'dense' ? 'inputs' : 'tokens', ...stateInputs]);
            expect(zeroSession.inputNames).toEqual([input === 'dense' ? 'inputs' : 'tokens']);
            expect(session.outputNames).toEqual(['logits', 'final_hidden', ...(lstm ? ['final_cell'] : [])]);

            // Given initial states.
            const want = await model.predict({ timeSteps: T, batchSize: B, ...data, initialHidden, ...(lstm ? { initialCell } : {}) });
            const wantCell = lstm ? await model.readFinalCell() : undefined;
            const got = await session.run({
              ...feeds,
              initial_hidden: new ort.Tensor('float32', initialHidden, [layers, B, H]),
              ...(lstm ? { initial_cell: new ort.Tensor('float32', initialCell, [layers, B, H]) } : {}),
            });
            expect(got.logits.dims).toEqual([T, B, SIZES.output]);
            compare(`${what} logits`, got.logits.data as Float32Array, want.logits, 'logits');
            compare(`${what} final hidden`, got.final_hidden.data as Float32Array, want.finalHidden, 'states');
            if (wantCell) compare(`${what} final cell`, got.final_cell.data as Float32Array, wantCell, 'states');

            // Exported with zero initial states: as predict() without them.
            const wantZero = await model.predict({ timeSteps: T, batchSize: B, ...data });
            const gotZero = await zeroSession.run(feeds);
            compare(`${what} logits from zero states`, gotZero.logits.data as Float32Array, wantZero.logits, 'logits');
            compare(`${what} final hidden from zero states`, gotZero.final_hidden.data as Float32Array, wantZero.finalHidden, 'states');
            if (lstm) compare(`${what} final cell from zero states`, gotZero.final_cell.data as Float32Array, await model.readFinalCell(), 'states');
            await Promise.all([session.release(), zeroSession.release()]);
          } finally {
            model.dispose();
          }
        }
      });
    }
  }

  for (const cell of CELLS) {
    it(`${cell.name}, 2 layers, with sequenceLengths: final states at each sequence's end and the logits before it match predict() with lengths`, async () => {
      const model = await RnnModel.create(await contextFor(adapter), configFor(cell, 2, 'tokens', 77));
      try {
        const { timeSteps: T, batchSize: B, hidden: H } = SIZES;
        const lengths = [T, 2, 4];
        const random = seededRandom(78);
        const tokens = Array.from({ length: T * B }, () => Math.floor(random() * SIZES.vocabulary));
        const initialHidden = randomFloats(2 * B * H, 79, 0.8);
        const initialCell = randomFloats(2 * B * H, 80, 0.8);
        const lstm = cell.config.cell === 'lstm';
        const want = await model.predict({ timeSteps: T, batchSize: B, inputTokens: tokens, lengths, initialHidden, ...(lstm ? { initialCell } : {}) });
        const session = await ort.InferenceSession.create(await exportOnnx(model, { sequenceLengths: true }));
        const got = await session.run({
          tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [T, B]),
          lengths: new ort.Tensor('int32', Int32Array.from(lengths), [B]),
          initial_hidden: new ort.Tensor('float32', initialHidden, [2, B, H]),
          ...(lstm ? { initial_cell: new ort.Tensor('float32', initialCell, [2, B, H]) } : {}),
        });
        compare(`${cell.name} final hidden with lengths`, got.final_hidden.data as Float32Array, want.finalHidden, 'states');
        if (lstm) compare(`${cell.name} final cell with lengths`, got.final_cell.data as Float32Array, await model.readFinalCell(), 'states');
        const logits = got.logits.data as Float32Array;
        const V = SIZES.output;
        // Element (t·B + b)·V + v, kept where t < lengths[b].
        const inside = (values: Float32Array) => values.filter((_, i) => Math.floor(i / (B * V)) < lengths[Math.floor(i / V) % B]);
        expect(inside(logits).length).toBe((T + 2 + 4) * V);
        compare(`${cell.name} logits before each sequence's end`, inside(logits), inside(want.logits), 'logits');
        await session.release();
      } finally {
        model.dispose();
      }
    });
  }

  it('refuses an unknown initialStates option', async () => {
    const model = await RnnModel.create(await contextFor(adapter), { vocabularySize: 3, hiddenSize: 2 });
    try {
      await expect(exportOnnx(model, { initialStates: 'carry' as 'zeros' })).rejects.toThrow(InvalidArgumentError);
    } finally {
      model.dispose();
    }
  });
});
