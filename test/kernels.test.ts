// Every kernel other than matmul, on each adapter, against the float64 reference: tanh,
// the token embedding, softmax cross-entropy and the mean loss, column sums, SGD and Adam;
// then the dispatch plan's bookkeeping and grid limits. Inputs and outputs sit at non-zero
// offsets between sentinel words, and every test checks the sentinels are untouched.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStorageBuffer, createStorageBufferWith, readFloats, readWords, writeElements } from '../src/device/buffers.ts';
import { type BufferSlice, DispatchPlan, gridFor } from '../src/kernels/dispatch-plan.ts';
import { IGNORED_TARGET, type KernelSet, type OptimizerStepValues, optimizerUniforms, PER_ROW_SOFTMAX_MAX_CLASSES } from '../src/kernels/kernel-set.ts';
import { pipelineCacheFor } from '../src/kernels/pipeline-cache.ts';
import { EMBEDDING_ROWS_PER_INVOCATION, groupedTokenRowsWords } from '../src/kernels/sequence-ops.ts';
import { f32, type UniformField } from '../src/kernels/uniforms.ts';
import {
  columnSums,
  ReferenceOptimizer,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  tanhBackward,
  tanhForward,
  embeddingBackward,
  embeddingForward,
  meanSquaredErrorBackward,
} from '../src/reference/index.ts';
import { expectClose, type Tolerance } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats, seededRandom } from './random.ts';

/** Fills every word a kernel must not touch; any write shows up as a changed sentinel. */
const SENTINEL = 12345.5;
/** Workgroup size of the elementwise kernels (KernelSet's ELEMENTWISE_WORKGROUP). */
const ELEMENTWISE_WORKGROUP = 64;

/** `data` at element `offset` of `offset + data.length + after` words; the rest is `fill`. */
function placed(data: ArrayLike<number>, offset: number, after: number, fill = SENTINEL): Float32Array {
  const words = new Float32Array(offset + data.length + after).fill(fill);
  words.set(data, offset);
  return words;
}

/** Asserts the words of `got` outside [offset, offset + length) still equal `initial`'s. */
function expectUntouchedOutside(what: string, got: Float32Array, initial: Float32Array, offset: number, length: number): void {
  expect(Array.from(got.subarray(0, offset)), `${what}: words before the slice`).toEqual(Array.from(initial.subarray(0, offset)));
  expect(Array.from(got.subarray(offset + length)), `${what}: words after the slice`).toEqual(Array.from(initial.subarray(offset + length)));
}

async function readAll(device: GPUDevice, buffer: GPUBuffer, words: number): Promise<Float32Array> {
  return readFloats(device, buffer, 0, words);
}

/** The float32 values next to `x`: `count` below and `count` above it, and x itself. */
function float32Neighbours(x: number, count: number): number[] {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  const values: number[] = [];
  for (let step = -count; step <= count; step++) values.push(new Float32Array(new Uint32Array([bits + step]).buffer)[0]);
  return values;
}

/** Token ids for `rows` positions drawn from the even ids below `vocabulary` (odd ids are never used), the last one V−1. */
function evenTokens(rows: number, vocabulary: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  const tokens = new Uint32Array(rows);
  const evenIds = Math.ceil(vocabulary / 2);
  for (let r = 0; r < rows; r++) tokens[r] = 2 * Math.floor(random() * evenIds);
  tokens[rows - 1] = vocabulary - 1; // V is odd in every shape below, so V−1 is even
  return tokens;
}

// ---------------------------------------------------------------------------------------
// tanh

/** tanh at its hard points: overflow of exp(2x) (±88, ±89, ±300, the largest float32), saturation,
 * tiny inputs, and both sides of the series / exp switch at |x| = 0.1 in shaders/tanh.wgsl. */
const TANH_EXTREMES = [
  0,
  ...[300, 89, 88, 20, 9, 1e-3, 1e-8, 1e-30, 0.099, 0.101, 3.4028234663852886e38].flatMap((x) => [x, -x]),
  ...float32Neighbours(0.1, 3).flatMap((x) => [x, -x]),
];

function tanhInputs(): Float32Array {
  return Float32Array.from([
    ...TANH_EXTREMES,
    ...randomFloats(1000, 11, 0.12), // around the series / exp switch
    ...randomFloats(1000, 12, 4), // the curved part
    ...randomFloats(1000, 13, 40), // saturation
  ]);
}

// Measured worst errors, the same on both adapters: forward 1.4e-6 relative just above the switch
// (then at 0.05; 1 − e cancels there, magnifying exp's error), 1.2e-7 absolute near 0.5;
// backward 5.6e-8 absolute (then computed as 1 − out², now as (1 − out)(1 + out)).
const TANH_TOLERANCE: Tolerance = { relative: 2e-6, absolute: 1e-7 };

describe.each(TEST_ADAPTERS)('tanh on %s', (adapter) => {
  it('forward and backward match the reference over extremes and a count not a multiple of 64, at offsets', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const x = tanhInputs();
    const count = x.length;
    expect(count % ELEMENTWISE_WORKGROUP).not.toBe(0);
    const savedOutputs = Float32Array.from(tanhForward(x)); // what the forward pass would have stored
    const dOutputs = randomFloats(count, 14);

    const inputWords = placed(x, 3, 2);
    const dOutputWords = placed(dOutputs, 2, 3);
    const savedWords = placed(savedOutputs, 9, 1);
    const outputWords = placed(new Float32Array(count), 5, 4);
    const dInputWords = placed(new Float32Array(count), 7, 6);
    const input = createStorageBufferWith(device, 'x', inputWords);
    const dOutput = createStorageBufferWith(device, 'dOut', dOutputWords);
    const saved = createStorageBufferWith(device, 'saved tanh outputs', savedWords);
    const output = createStorageBufferWith(device, 'tanh(x)', outputWords);
    const dInput = createStorageBufferWith(device, 'dx', dInputWords);
    const plan = new DispatchPlan(device, 'tanh');
    kernels.tanhForward(plan, { buffer: input, offset: 3 }, { buffer: output, offset: 5 }, count, 'tanh forward');
    kernels.tanhBackward(plan, { buffer: dOutput, offset: 2 }, { buffer: saved, offset: 9 }, { buffer: dInput, offset: 7 }, count, 'tanh backward');
    plan.submit();

    const gotOutput = await readAll(device, output, outputWords.length);
    expectClose('tanh forward', gotOutput.subarray(5, 5 + count), tanhForward(x), TANH_TOLERANCE);
    expectUntouchedOutside('tanh forward', gotOutput, outputWords, 5, count);
    // Saturation gives exactly ±1, and tiny inputs are returned unchanged, as in float64.
    for (const [value, want] of [[300, 1], [-300, -1], [3.4028234663852886e38, 1], [1e-30, 1e-30]]) {
      expect(gotOutput[5 + x.indexOf(Math.fround(value))], `tanh(${value})`).toBe(Math.fround(want));
    }
    const gotDInput = await readAll(device, dInput, dInputWords.length);
    expectClose('tanh backward', gotDInput.subarray(7, 7 + count), tanhBackward(dOutputs, savedOutputs), TANH_TOLERANCE);
    expectUntouchedOutside('tanh backward', gotDInput, dInputWords, 7, count);
    plan.destroy();
    for (const buffer of [input, dOutput, saved, output, dInput]) buffer.destroy();
  });
});

// ---------------------------------------------------------------------------------------
// Token embedding

/** [rows, hidden, vocabulary]: H off the 64-wide workgroup, V down to 1, token ids repeated and never used. */
const EMBEDDING_SHAPES: [number, number, number][] = [
  [1, 33, 1],
  [7, 65, 1],
  [9, 129, 7],
  [40, 33, 65],
  [12, 65, 7],
  // Widths that are multiples of 4: with biases at multiples of 4, forward takes its vec4 twin.
  [5, 4, 3],
  [33, 132, 65],
];

// forward: two float32 additions of values in [−1, 1], each off by ≤ 2⁻²⁴·3 ≈ 1.8e-7 (measured 1.5e-7).
// backward: a float32 sum of at most 40 terms onto a value in [−1, 1] (measured 5.2e-7 at 4.5).
const EMBEDDING_FORWARD_TOLERANCE: Tolerance = { relative: 1e-6, absolute: 4e-7 };
const EMBEDDING_BACKWARD_TOLERANCE: Tolerance = { relative: 1e-5, absolute: 1e-6 };

describe('token embedding layout', () => {
  it('the WGSL and the TypeScript agree on the rows per invocation of the vec4 projection', () => {
    const wgsl = readFileSync(new URL('../shaders/embedding_vec4.wgsl', import.meta.url), 'utf8');
    expect(wgsl).toContain(`const ROWS_PER_INVOCATION: u32 = ${EMBEDDING_ROWS_PER_INVOCATION}u;`);
  });
});

describe.each(TEST_ADAPTERS)('token embedding on %s', (adapter) => {
  it('forward gathers W[:, token] + b_ih + b_hh from the parameter buffer at offsets (biases at odd offsets and at multiples of 4)', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    for (const [[rows, hidden, vocabulary], alignBiases] of EMBEDDING_SHAPES.flatMap((shape) => [[shape, false], [shape, true]] as const)) {
      const shape = `${rows} rows, H ${hidden}, V ${vocabulary}${alignBiases ? ', biases at multiples of 4' : ''}`;
      const seed = rows * 1009 + hidden * 31 + vocabulary;
      const tokens = evenTokens(rows, vocabulary, seed);
      const weight = randomFloats(hidden * vocabulary, seed + 1);
      const bias0 = randomFloats(hidden, seed + 2);
      const bias1 = randomFloats(hidden, seed + 3);
      // Parameter layout: 5 other words, W_ih [H, V], 3 other words, b_ih, 1 other word, b_hh, 2 other words.
      const weightOffset = 5;
      const at = (offset: number) => (alignBiases ? Math.ceil(offset / 4) * 4 : offset);
      const biasOffsets: [number, number] = [at(weightOffset + weight.length + 3), 0];
      biasOffsets[1] = at(biasOffsets[0] + hidden + 1);
      const parameterWords = placed([], 0, biasOffsets[1] + hidden + 2, -7);
      parameterWords.set(weight, weightOffset);
      parameterWords.set(bias0, biasOffsets[0]);
      parameterWords.set(bias1, biasOffsets[1]);
      const outputWords = placed(new Float32Array(rows * hidden), 4, 3);
      const tokenBuffer = createStorageBufferWith(device, 'tokens', tokens);
      const parameters = createStorageBufferWith(device, 'parameters', parameterWords);
      const output = createStorageBufferWith(device, 'input projections', outputWords);
      const plan = new DispatchPlan(device, `embedding forward ${shape}`);
      kernels.embeddingForward(
        plan,
        { tokens: tokenBuffer, parameters, weightOffset, biasOffsets, output: { buffer: output, offset: 4 }, rows, width: hidden, vocabulary },
        'embedding forward',
      );
      plan.submit();
      const want = embeddingForward(tokens, weight, Float64Array.from(bias0, (value, j) => value + bias1[j]), rows, vocabulary, hidden);
      const got = await readAll(device, output, outputWords.length);
      expectClose(`embedding forward ${shape}`, got.subarray(4, 4 + rows * hidden), want, EMBEDDING_FORWARD_TOLERANCE);
      expectUntouchedOutside(`embedding forward ${shape}`, got, outputWords, 4, rows * hidden);
      // Bit for bit the float32 (W + b_ih) + b_hh, whichever kernel ran (word or vec4 over row blocks).
      const float32 = Float32Array.from({ length: rows * hidden }, (_, i) => {
        const [row, j] = [Math.floor(i / hidden), i % hidden];
        return Math.fround(Math.fround(weight[j * vocabulary + tokens[row]] + bias0[j]) + bias1[j]);
      });
      expect(Array.from(got.subarray(4, 4 + rows * hidden)), `embedding forward ${shape}: float32 sums`).toEqual(Array.from(float32));
      plan.destroy();
      for (const buffer of [tokenBuffer, parameters, output]) buffer.destroy();
    }
  });

  it('backward adds the scatter of dA into a non-zero gradient at an offset, and the column sums of dA into zero, one or two bias gradients: in one pass (GPUs), and grouped by token (CPU adapters) with dA at an odd offset and at a multiple of 4 (the vec4 walk where the width is one too, with 1, 2, 4 or 8 runs of four units per invocation)', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    // On llvmpipe widths 2048, 1024 and 512 give the vec4 walk 8, 4 and 2 runs of four units per invocation (walkQuadsPerInvocation).
    const shapes: [number, number, number][] = [...EMBEDDING_SHAPES, [20, 2048, 9], [17, 1024, 65], [11, 512, 5]];
    const cases = shapes.flatMap((shape) => [[shape, 3, true, 2], [shape, 4, true, 1], [shape, 4, true, 0], [shape, 3, false, 2]] as const);
    for (const [[rows, hidden, vocabulary], dAOffset, byToken, biasCount] of cases) {
      const shape = `${rows} rows, H ${hidden}, V ${vocabulary}, dA at ${dAOffset}, ${byToken ? 'grouped by token' : 'one pass'}, ${biasCount} bias gradients`;
      const seed = rows * 2003 + hidden * 37 + vocabulary;
      const tokens = evenTokens(rows, vocabulary, seed);
      const used = new Set(tokens);
      if (vocabulary > 1) expect(used.size, `${shape}: some token ids are never used`).toBeLessThan(vocabulary);
      if (rows > 1) expect(used.size, `${shape}: some token ids repeat`).toBeLessThan(rows);
      const dPreactivations = randomFloats(rows * hidden, seed + 1);
      // dW [H, V] at word 6, then the two bias gradients [H] each (the second at an odd word).
      const weightWords = hidden * vocabulary;
      const initialGradient = randomFloats(weightWords + 2 * hidden + 1, seed + 2);
      const biasOffsets = [6 + weightWords, 6 + weightWords + hidden + 1].slice(0, biasCount);
      const gradientWords = placed(initialGradient, 6, 4);
      const dPreactivationWords = placed(dPreactivations, dAOffset, 2);
      const tokenBuffer = createStorageBufferWith(device, 'tokens', tokens);
      const dA = createStorageBufferWith(device, 'dA', dPreactivationWords);
      const gradients = createStorageBufferWith(device, 'gradients', gradientWords);
      // The grouping scratch starts as garbage: every word the kernels read is written first.
      const grouped = byToken ? createStorageBufferWith(device, 'grouped', new Uint32Array(groupedTokenRowsWords(rows, vocabulary)).fill(0xdeadbeef)) : undefined;
      const plan = new DispatchPlan(device, `embedding backward ${shape}`);
      kernels.embeddingBackward(
        plan,
        { tokens: tokenBuffer, grouped, dPreactivations: { buffer: dA, offset: dAOffset }, gradients, weightOffset: 6, rows, width: hidden, vocabulary, biasOffsets },
        'embedding backward',
      );
      plan.submit();
      const want = Float64Array.from(initialGradient.subarray(0, weightWords));
      embeddingBackward(dPreactivations, tokens, rows, vocabulary, hidden, { dWeight: want });
      const got = await readAll(device, gradients, gradientWords.length);
      expectClose(`embedding backward ${shape}`, got.subarray(6, 6 + weightWords), want, EMBEDDING_BACKWARD_TOLERANCE);
      if (grouped) {
        // The rows grouped by token, each group in row order, and the groups' starts.
        const groupedWords = new Uint32Array(await readWords(device, grouped, 0, rows + vocabulary + 1));
        const order = Array.from({ length: rows }, (_, tb) => tb).sort((x, y) => tokens[x] - tokens[y] || x - y);
        expect(Array.from(groupedWords.subarray(0, rows)), `${shape}: rows grouped by token`).toEqual(order);
        const starts = Array.from({ length: vocabulary + 1 }, (_, v) => tokens.filter((token) => token < v).length);
        expect(Array.from(groupedWords.subarray(rows)), `${shape}: group starts`).toEqual(starts);
      }
      // Bit for bit the float32 sums in row order (the one-pass walk's; the grouped walk makes the same additions).
      const rowOrder = Float32Array.from(initialGradient.subarray(0, weightWords));
      for (let tb = 0; tb < rows; tb++) {
        for (let j = 0; j < hidden; j++) rowOrder[j * vocabulary + tokens[tb]] += dPreactivations[tb * hidden + j];
      }
      expect(Array.from(got.subarray(6, 6 + weightWords)), `${shape}: the sums in row order`).toEqual(Array.from(rowOrder));
      // Each bias gradient gets the column sums of dA added, close to the reference's, and bit for bit the float32
      // sums in the walk's order: rows in order (one pass, then columnSums), or token by token (the grouped walk).
      const walk = byToken ? Array.from({ length: rows }, (_, tb) => tb).sort((x, y) => tokens[x] - tokens[y] || x - y) : Array.from({ length: rows }, (_, tb) => tb);
      const totals = new Float32Array(hidden);
      for (const tb of walk) for (let j = 0; j < hidden; j++) totals[j] += dPreactivations[tb * hidden + j];
      const sums = columnSums(dPreactivations, rows, hidden);
      for (const offset of biasOffsets) {
        const initialBias = initialGradient.subarray(offset - 6, offset - 6 + hidden);
        const gotBias = got.subarray(offset, offset + hidden);
        expectClose(`${shape}: bias gradient at word ${offset}`, gotBias, Float64Array.from(initialBias, (value, j) => value + sums[j]), EMBEDDING_BACKWARD_TOLERANCE);
        expect(Array.from(gotBias), `${shape}: bias gradient at word ${offset}, float32 sums in the walk's order`).toEqual(Array.from(initialBias, (value, j) => Math.fround(value + totals[j])));
      }
      // Nothing else is written: the words between and after the bias gradients keep their values.
      const written = new Set([...Array.from({ length: weightWords }, (_, i) => 6 + i), ...biasOffsets.flatMap((offset) => Array.from({ length: hidden }, (_, j) => offset + j))]);
      const untouched = Array.from(gradientWords.keys()).filter((word) => !written.has(word));
      expect(untouched.map((word) => got[word]), `${shape}: words outside dW and the bias gradients`).toEqual(untouched.map((word) => gradientWords[word]));
      // Columns of unused tokens keep their initial values exactly.
      for (let v = 0; v < vocabulary; v++) {
        if (used.has(v)) continue;
        for (let j = 0; j < hidden; j++) expect(got[6 + j * vocabulary + v]).toBe(initialGradient[j * vocabulary + v]);
      }
      plan.destroy();
      for (const buffer of [tokenBuffer, grouped, dA, gradients]) buffer?.destroy();
    }
    // A grouping scratch too small for the batch is refused by name, before anything runs.
    const small = createStorageBuffer(device, 'small scratch', groupedTokenRowsWords(8, 5) - 5); // 14 words, 64 bytes
    const plan = new DispatchPlan(device, 'refused grouping');
    const slice = { buffer: small, offset: 0 };
    expect(() => kernels.embeddingBackward(plan, { tokens: small, grouped: small, dPreactivations: slice, gradients: small, weightOffset: 0, rows: 8, width: 4, vocabulary: 5 }, 'tiny scatter')).toThrow(
      /tiny scatter: the token grouping needs 76 bytes of scratch, got a buffer of 64/,
    );
    plan.destroy();
    small.destroy();
  });
});

// ---------------------------------------------------------------------------------------
// Softmax cross-entropy and the mean loss

const SOFTMAX_ROWS = [1, 7, 130];
/**
 * Down to one class; up to PER_ROW_SOFTMAX_MAX_CLASSES the per-row schedule runs, above it the
 * workgroup-per-row one, whose lanes then stride over more classes than the workgroup has lanes.
 */
const SOFTMAX_CLASSES = [1, 2, 7, 65, 300, PER_ROW_SOFTMAX_MAX_CLASSES + 52];

// Logits in [−5, 5]: lse = m + log Σ exp(z − m) is rounded to ulp(lse ≤ 11)/2 ≈ 4.8e-7, which the
// row loss lse − z_target keeps as absolute error and each probability exp(z − lse) as relative
// error; (p − [c = target]) / rows keeps p's absolute error, over rows. Measured: row losses 8.4e-8
// absolute below 1e-3; gradients 1.9e-7/rows absolute where p is next to 1.
const LOSS_TOLERANCE: Tolerance = { relative: 1e-5, absolute: 5e-7 };
/** The gradient tolerance for `rows` rows: the absolute term is p's error, divided by rows. */
function softmaxGradientTolerance(rows: number): Tolerance {
  return { relative: 1e-5, absolute: 4e-7 / rows };
}

describe.each(TEST_ADAPTERS)('softmax cross-entropy on %s', (adapter) => {
  it('row losses, the in-place gradient and the mean loss match the reference on every shape', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    expect(kernels.reductionSize).toBeLessThan(PER_ROW_SOFTMAX_MAX_CLASSES + 52);
    for (const rows of SOFTMAX_ROWS) {
      for (const classes of SOFTMAX_CLASSES) {
        const shape = `${rows}x${classes}`;
        const seed = rows * 1013 + classes;
        const logits = randomFloats(rows * classes, seed, 5);
        const random = seededRandom(seed + 1);
        const targets = Uint32Array.from({ length: rows }, () => Math.floor(random() * classes));
        await checkSoftmaxCrossEntropy(device, kernels, shape, logits, targets, rows, classes, LOSS_TOLERANCE, softmaxGradientTolerance(rows));
      }
    }
  });

  it('stays finite and correct for logits of ±1000', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    // Each row with its target: the target the only maximum, the target far below it,
    // ties at the maximum, every class at −1000.
    const cases: [number[], number][] = [
      [[1000, -1000, -1000, -1000, -1000], 0],
      [[1000, -1000, -1000, -1000, -1000], 1],
      [[1000, 1000, -1000, -1000, -1000], 0],
      [[-1000, -1000, -1000, -1000, -1000], 2],
      [[-1000, 1000, 0, 1000, -1000], 4],
      [[-1000, 1000, 0, 1000, -1000], 2],
    ];
    const logits = Float32Array.from(cases.flatMap(([row]) => row));
    const targets = Uint32Array.from(cases.map(([, target]) => target));
    // log Σ exp is added to m = 1000 in float32 before z_target is subtracted, so losses carry
    // ulp(1000)/2 = 3.05e-5 absolute and every probability exp(z − lse) that much relative, plus
    // exp's own error. Measured: loss 2.9e-5 absolute at log 2; gradient 2.9e-5 relative at p = 1/2.
    const extremeLossTolerance = { relative: 1e-6, absolute: 3.1e-5 };
    const extremeGradientTolerance = { relative: 4e-5, absolute: 1e-8 };
    await checkSoftmaxCrossEntropy(device, kernels, '±1000, 5 classes', logits, targets, cases.length, 5, extremeLossTolerance, extremeGradientTolerance);
    // Random ±1000 over more classes than the reduction workgroup has lanes.
    const random = seededRandom(77);
    const wide = Float32Array.from({ length: 3 * 300 }, () => (random() < 0.5 ? -1000 : 1000));
    await checkSoftmaxCrossEntropy(device, kernels, '±1000, 300 classes', wide, Uint32Array.from([0, 150, 299]), 3, 300, extremeLossTolerance, extremeGradientTolerance);
  });
});

describe.each(TEST_ADAPTERS)('the loss kernels over rows longer than their classes on %s', (adapter) => {
  // The head's logits rows are headRows(V) words long (parameter-layout.ts); the words past V must stay as they are.
  const rows = 7;
  /** `rows` rows of `classes` values, each followed by `extra` SENTINEL words, from word 3 on. */
  const spaced = (values: Float32Array, classes: number, extra: number) => {
    const rowLength = classes + extra;
    const words = new Float32Array(3 + rows * rowLength + 2).fill(SENTINEL);
    for (let r = 0; r < rows; r++) words.set(values.subarray(r * classes, (r + 1) * classes), 3 + r * rowLength);
    return words;
  };
  const compact = (words: Float32Array, classes: number, extra: number) =>
    Float32Array.from({ length: rows * classes }, (_, i) => words[3 + Math.floor(i / classes) * (classes + extra) + (i % classes)]);

  for (const classes of [5, PER_ROW_SOFTMAX_MAX_CLASSES + 1]) {
    it(`softmax cross-entropy, ${classes} classes in rows of ${classes + 3} words: the reference's losses and gradients, the other words untouched`, async () => {
      const { device } = await contextFor(adapter);
      const kernels = await kernelsFor(adapter);
      const logits = randomFloats(rows * classes, 91 + classes, 5);
      const targets = Uint32Array.from({ length: rows }, (_, r) => (r * 7) % classes);
      const words = spaced(logits, classes, 3);
      const logitBuffer = createStorageBufferWith(device, 'logits', words);
      const targetBuffer = createStorageBufferWith(device, 'targets', targets);
      const rowLosses = createStorageBuffer(device, 'row losses', rows);
      const plan = new DispatchPlan(device, 'softmax cross-entropy, long rows');
      kernels.softmaxCrossEntropy(plan, { targets: targetBuffer, logits: { buffer: logitBuffer, offset: 3 }, rowLosses, rows, classes, rowLength: classes + 3 }, 'softmax cross-entropy');
      plan.submit();
      const got = await readAll(device, logitBuffer, words.length);
      expectClose('row losses, long rows', await readAll(device, rowLosses, rows), softmaxCrossEntropyForward(logits, targets, rows, classes).rowLosses, LOSS_TOLERANCE);
      expectClose('dLogits, long rows', compact(got, classes, 3), softmaxCrossEntropyBackward(logits, targets, rows, classes), softmaxGradientTolerance(rows));
      expect(Array.from(got).filter((value) => value === SENTINEL)).toHaveLength(words.length - rows * classes);
      plan.destroy();
      for (const buffer of [logitBuffer, targetBuffer, rowLosses]) buffer.destroy();
    });
  }

  it('mean squared error, 3 outputs in rows of 4 words: the gradients and losses of the reference, the other words untouched', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const classes = 3;
    const outputs = randomFloats(rows * classes, 95, 2);
    const targets = randomFloats(rows * classes, 96, 2);
    const counted = Array.from({ length: rows }, (_, r) => r !== 4);
    const words = spaced(outputs, classes, 1);
    const outputBuffer = createStorageBufferWith(device, 'outputs', words);
    const targetBuffer = createStorageBufferWith(device, 'target values', targets);
    const flags = createStorageBufferWith(device, 'row flags', Uint32Array.from(counted, (isCounted) => (isCounted ? 0 : IGNORED_TARGET)));
    const rowLosses = createStorageBuffer(device, 'row losses', rows);
    const plan = new DispatchPlan(device, 'mean squared error, long rows');
    kernels.meanSquaredError(plan, { targetValues: targetBuffer, rowFlags: flags, outputs: { buffer: outputBuffer, offset: 3 }, rowLosses, rows, classes, rowLength: classes + 1 }, 'mean squared error');
    plan.submit();
    const got = await readAll(device, outputBuffer, words.length);
    // The kernel's mean is over all rows it is given (counted = rows); the plan sets the counted rows' divisor itself.
    const gradient = meanSquaredErrorBackward(outputs, targets, counted, classes).map((value) => (value * (rows - 1)) / rows);
    expectClose('dOutputs, long rows', compact(got, classes, 1), gradient, { relative: 1e-6, absolute: 1e-7 });
    const rowLoss = (r: number) => (counted[r] ? Array.from({ length: classes }, (_, v) => (outputs[r * classes + v] - targets[r * classes + v]) ** 2).reduce((a, b) => a + b) : 0);
    expectClose('row losses, long rows', await readAll(device, rowLosses, rows), Array.from({ length: rows }, (_, r) => rowLoss(r)), { relative: 1e-6, absolute: 1e-7 });
    expect(Array.from(got).filter((value) => value === SENTINEL)).toHaveLength(words.length - rows * classes);
    plan.destroy();
    for (const buffer of [outputBuffer, targetBuffer, flags, rowLosses]) buffer.destroy();
  });
});

/** Runs softmaxCrossEntropy then meanLoss in one plan and checks row losses, gradients and the mean. */
async function checkSoftmaxCrossEntropy(
  device: GPUDevice,
  kernels: KernelSet,
  what: string,
  logits: Float32Array,
  targets: Uint32Array,
  rows: number,
  classes: number,
  lossTolerance: Tolerance,
  dLogitsTolerance: Tolerance,
): Promise<void> {
  const logitWords = placed(logits, 3, 2);
  const lossWords = placed([0], 2, 3);
  const targetBuffer = createStorageBufferWith(device, 'targets', targets);
  const logitBuffer = createStorageBufferWith(device, 'logits', logitWords);
  const rowLosses = createStorageBufferWith(device, 'row losses', placed(new Float32Array(rows), 0, 2));
  const losses = createStorageBufferWith(device, 'losses', lossWords);
  const plan = new DispatchPlan(device, `softmax cross-entropy ${what}`);
  kernels.softmaxCrossEntropy(plan, { targets: targetBuffer, logits: { buffer: logitBuffer, offset: 3 }, rowLosses, rows, classes }, 'softmax cross-entropy');
  kernels.meanLoss(plan, { buffer: rowLosses, offset: 0 }, rows, { buffer: losses, offset: 2 }, 'mean loss');
  plan.submit();

  const want = softmaxCrossEntropyForward(logits, targets, rows, classes);
  const gotRowLosses = await readAll(device, rowLosses, rows + 2);
  expectClose(`row losses ${what}`, gotRowLosses.subarray(0, rows), want.rowLosses, lossTolerance);
  expect(Array.from(gotRowLosses.subarray(rows)), `row losses ${what}: words after`).toEqual([SENTINEL, SENTINEL]);
  const gotGradient = await readAll(device, logitBuffer, logitWords.length);
  expectClose(`dLogits ${what}`, gotGradient.subarray(3, 3 + rows * classes), softmaxCrossEntropyBackward(logits, targets, rows, classes), dLogitsTolerance);
  expectUntouchedOutside(`dLogits ${what}`, gotGradient, logitWords, 3, rows * classes);
  const gotLoss = await readAll(device, losses, lossWords.length);
  expectClose(`mean loss ${what}`, gotLoss.subarray(2, 3), [want.loss], lossTolerance);
  expectUntouchedOutside(`mean loss ${what}`, gotLoss, lossWords, 2, 1);
  plan.destroy();
  for (const buffer of [targetBuffer, logitBuffer, rowLosses, losses]) buffer.destroy();
}

// ---------------------------------------------------------------------------------------
// Column sums

const COLUMN_SUM_ROWS = [1, 7, 1000];
const COLUMN_SUM_COLS = [1, 33, 65, 129];
/** A sequential float32 sum of `rows` terms in [−1, 1]: a random walk of roundings of ulp(partial sum)/2
 * (measured 4.6e-5 absolute at 1000 rows, where partial sums reach ±30). */
function columnSumTolerance(rows: number): Tolerance {
  return { relative: 1e-5, absolute: 1e-7 * rows };
}

describe.each(TEST_ADAPTERS)('column sums on %s', (adapter) => {
  it('add Σ_r input[r, :] to one and to two output offsets holding non-zero values', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    for (const rows of COLUMN_SUM_ROWS) {
      for (const cols of COLUMN_SUM_COLS) {
        const shape = `${rows}x${cols}`;
        const seed = rows * 1019 + cols;
        const input = randomFloats(rows * cols, seed);
        const sums = columnSums(input, rows, cols);
        const inputBuffer = createStorageBufferWith(device, 'input', placed(input, 2, 1));
        // One output at offset 3; two outputs at 3 and 3 + cols + 2 (two sentinels between them).
        const initial = randomFloats(2 * cols, seed + 1);
        const oneWords = placed(initial.subarray(0, cols), 3, 4);
        const twoWords = placed([], 0, 3 + 2 * cols + 2 + 4);
        const secondOffset = 3 + cols + 2;
        twoWords.set(initial.subarray(0, cols), 3);
        twoWords.set(initial.subarray(cols), secondOffset);
        const one = createStorageBufferWith(device, 'one output', oneWords);
        const two = createStorageBufferWith(device, 'two outputs', twoWords);
        const plan = new DispatchPlan(device, `column sums ${shape}`);
        kernels.columnSums(plan, { buffer: inputBuffer, offset: 2 }, rows, cols, { buffer: one, offsets: [3] }, 'one output');
        kernels.columnSums(plan, { buffer: inputBuffer, offset: 2 }, rows, cols, { buffer: two, offsets: [3, secondOffset] }, 'two outputs');
        plan.submit();

        const wantFirst = sums.map((sum, j) => sum + initial[j]);
        const wantSecond = sums.map((sum, j) => sum + initial[cols + j]);
        const gotOne = await readAll(device, one, oneWords.length);
        expectClose(`column sums ${shape}, one output`, gotOne.subarray(3, 3 + cols), wantFirst, columnSumTolerance(rows));
        expectUntouchedOutside(`column sums ${shape}, one output`, gotOne, oneWords, 3, cols);
        const gotTwo = await readAll(device, two, twoWords.length);
        expectClose(`column sums ${shape}, first of two`, gotTwo.subarray(3, 3 + cols), wantFirst, columnSumTolerance(rows));
        expectClose(`column sums ${shape}, second of two`, gotTwo.subarray(secondOffset, secondOffset + cols), wantSecond, columnSumTolerance(rows));
        const untouched = [...gotTwo.subarray(0, 3), ...gotTwo.subarray(3 + cols, secondOffset), ...gotTwo.subarray(secondOffset + cols)];
        expect(untouched, `column sums ${shape}, two outputs: words outside both`).toEqual(new Array(untouched.length).fill(SENTINEL));
        plan.destroy();
        for (const buffer of [inputBuffer, one, two]) buffer.destroy();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------
// Optimizers

/** Not a multiple of the workgroup; the buffers have 3 more words the update must not touch. */
const PARAMETER_COUNT = 1000;
const ADAM = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
// SGD: p − lr·g rounded to float32, half an ulp of |p| < 2 (measured 6.0e-8).
const SGD_TOLERANCE: Tolerance = { relative: 1e-6, absolute: 1e-7 };
// Adam takes 1 − β₁ and 1 − β₂ computed in float64 (as torch does), so only float32 rounding of the
// moments and the update remains (measured before that fix, with the reference given the same float32
// β's: v 1.7e-7 relative, p 6.7e-8 absolute after three steps).
const ADAM_PARAMETER_TOLERANCE: Tolerance = { relative: 1e-5, absolute: 1e-7 };
// m sums terms up to 0.1 in size (|g| < 1) that can cancel: each f32 rounding costs up to 3.7e-9, and
// three steps of them gave 2.0e-8 absolute on an m of 2.6e-4 (measured).
const ADAM_FIRST_MOMENT_TOLERANCE: Tolerance = { relative: 1e-5, absolute: 4e-8 };
const ADAM_SECOND_MOMENT_TOLERANCE: Tolerance = { relative: 1e-5, absolute: 1e-12 };

/** Plain update values: no weight decay or momentum. */
const PLAIN: Omit<OptimizerStepValues, 'count' | 'learningRate'> = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  biasCorrection1: 1,
  biasCorrection2Sqrt: 1,
  weightDecay: 0,
  decoupled: false,
  momentum: 0,
  nesterov: false,
  alpha: 0.99,
};

/** Adam's uniform values for step t (from 1), the bias corrections computed in float64. */
function adamStep(t: number): OptimizerStepValues {
  return {
    ...PLAIN,
    count: PARAMETER_COUNT,
    ...ADAM,
    biasCorrection1: 1 - ADAM.beta1 ** t,
    biasCorrection2Sqrt: Math.sqrt(1 - ADAM.beta2 ** t),
  };
}

describe.each(TEST_ADAPTERS)('optimizers on %s', (adapter) => {
  it('SGD takes one step p ← p − lr·g like the reference', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const initial = randomFloats(PARAMETER_COUNT, 31);
    const gradient = randomFloats(PARAMETER_COUNT, 32);
    const parameterWords = placed(initial, 0, 3);
    const parameters = createStorageBufferWith(device, 'parameters', parameterWords);
    const gradients = createStorageBufferWith(device, 'gradients', placed(gradient, 0, 3));
    const plan = new DispatchPlan(device, 'sgd');
    const learningRate = 0.1;
    kernels.optimizerUpdate(plan, 'sgd', { gradients, parameters }, { ...PLAIN, count: PARAMETER_COUNT, learningRate }, 'sgd');
    plan.submit();
    const want = { p: Float64Array.from(initial) };
    new ReferenceOptimizer({ type: 'sgd', learningRate }).step(want, { p: Float64Array.from(gradient) });
    const got = await readAll(device, parameters, parameterWords.length);
    expectClose('sgd parameters', got.subarray(0, PARAMETER_COUNT), want.p, SGD_TOLERANCE);
    expectUntouchedOutside('sgd parameters', got, parameterWords, 0, PARAMETER_COUNT);
    plan.destroy();
    for (const buffer of [parameters, gradients]) buffer.destroy();
  });

  it('Adam takes three steps through one plan, uniforms rewritten between submissions, like the reference', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const initial = randomFloats(PARAMETER_COUNT, 41);
    const parameterWords = placed(initial, 0, 3);
    const parameters = createStorageBufferWith(device, 'parameters', parameterWords);
    const gradients = createStorageBuffer(device, 'gradients', PARAMETER_COUNT);
    const firstMoment = createStorageBufferWith(device, 'first moment', placed(new Float32Array(PARAMETER_COUNT), 0, 3));
    const secondMoment = createStorageBufferWith(device, 'second moment', placed(new Float32Array(PARAMETER_COUNT), 0, 3));
    const plan = new DispatchPlan(device, 'adam');
    const handle = kernels.optimizerUpdate(plan, 'adam', { gradients, parameters, firstState: firstMoment, secondState: secondMoment }, adamStep(1), 'adam');
    const reference = new ReferenceOptimizer({ type: 'adam', ...ADAM });
    const want = { p: Float64Array.from(initial) };
    for (let t = 1; t <= 3; t++) {
      const gradient = randomFloats(PARAMETER_COUNT, 41 + t);
      gradient[0] = 0; // m = v = 0: the update must be exactly 0, not 0/0
      writeElements(device, gradients, 0, gradient);
      if (t > 1) plan.updateUniforms(handle, optimizerUniforms('adam', adamStep(t)));
      plan.submit();
      reference.step(want, { p: Float64Array.from(gradient) });
      // The reference's moments, read from its saved state rather than restating its formulas.
      const { first: wantFirstMoment, second: wantSecondMoment } = reference.saveState().states.p;
      const gotParameters = await readAll(device, parameters, PARAMETER_COUNT + 3);
      expectClose(`adam parameters after step ${t}`, gotParameters.subarray(0, PARAMETER_COUNT), want.p, ADAM_PARAMETER_TOLERANCE);
      expectUntouchedOutside(`adam parameters after step ${t}`, gotParameters, parameterWords, 0, PARAMETER_COUNT);
      expect(gotParameters[0], 'adam: a parameter whose gradient is always 0').toBe(initial[0]);
      const gotFirst = await readAll(device, firstMoment, PARAMETER_COUNT + 3);
      expectClose(`adam first moment after step ${t}`, gotFirst.subarray(0, PARAMETER_COUNT), wantFirstMoment, ADAM_FIRST_MOMENT_TOLERANCE);
      expect(Array.from(gotFirst.subarray(PARAMETER_COUNT))).toEqual([SENTINEL, SENTINEL, SENTINEL]);
      const gotSecond = await readAll(device, secondMoment, PARAMETER_COUNT + 3);
      expectClose(`adam second moment after step ${t}`, gotSecond.subarray(0, PARAMETER_COUNT), wantSecondMoment, ADAM_SECOND_MOMENT_TOLERANCE);
      expect(Array.from(gotSecond.subarray(PARAMETER_COUNT))).toEqual([SENTINEL, SENTINEL, SENTINEL]);
    }
    plan.destroy();
    for (const buffer of [parameters, gradients, firstMoment, secondMoment]) buffer.destroy();
  });
});

// ---------------------------------------------------------------------------------------
// Dispatch plans and grids

describe('gridFor', () => {
  it('covers every workgroup with each dimension within the limit and less than one row to spare', () => {
    const cases: [number, number][] = [];
    for (const limit of [2, 3, 8, 13]) {
      for (let workgroups = 0; workgroups <= limit * limit; workgroups++) cases.push([workgroups, limit]);
    }
    const limit = 65535;
    for (const workgroups of [1, limit - 1, limit, limit + 1, 2 * limit, 2 * limit + 1, 64 * limit + 7, limit * limit - 1, limit * limit]) {
      cases.push([workgroups, limit]);
    }
    for (const [workgroups, limit] of cases) {
      const [x, y] = gridFor(workgroups, limit);
      const what = `gridFor(${workgroups}, ${limit}) = [${x}, ${y}]`;
      expect(Number.isInteger(x) && Number.isInteger(y) && x >= 1 && y >= 1, what).toBe(true);
      expect(x <= limit && y <= limit, `${what}: within the limit`).toBe(true);
      expect(x * y >= workgroups, `${what}: covers every workgroup`).toBe(true);
      expect((y - 1) * x < Math.max(1, workgroups), `${what}: no whole spare row`).toBe(true);
    }
    expect(gridFor(100, 65535)).toEqual([100, 1]);
    expect(gridFor(65536, 65535)).toEqual([32768, 2]);
  });
});

describe.each(TEST_ADAPTERS)('dispatch plan on %s', (adapter) => {
  it('counts dispatches, refuses to grow once built, and checks uniform updates', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const buffer = createStorageBuffer(device, 'scratch', 64);
    const plan = new DispatchPlan(device, 'bookkeeping');
    expect(plan.dispatchCount).toBe(0);
    const slice: BufferSlice = { buffer, offset: 0 };
    const output = createStorageBuffer(device, 'output', 64);
    const first = kernels.tanhForward(plan, slice, { buffer: output, offset: 0 }, 0, 'first');
    const second = kernels.columnSums(plan, slice, 1, 1, { buffer: output, offsets: [0] }, 'second');
    expect(plan.dispatchCount).toBe(2);
    expect([first.index, second.index]).toEqual([0, 1]);
    expect(() => plan.updateUniforms(first, [0, 0, 0, 0])).toThrow(/not built yet/);
    plan.build();
    expect(() => kernels.tanhForward(plan, slice, slice, 1, 'late')).toThrow(/'bookkeeping' is already built; it cannot grow/);
    expect(plan.dispatchCount).toBe(2);
    expect(() => plan.updateUniforms(first, [0, 0, 0, 0, 0])).toThrow(/first: uniform block changed size/);
    plan.updateUniforms(first, [0, 0, 0, 0]);
    plan.destroy();
    buffer.destroy();
    output.destroy();
  });

  it('refuses a workgroup grid above maxComputeWorkgroupsPerDimension, naming the limit', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    const kernel = await pipelineCacheFor(device).get('columnSums', { WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP });
    const [scratch, sums] = [createStorageBuffer(device, 'scratch', 4), createStorageBuffer(device, 'sums', 4)];
    const buffers = { input: scratch, output: sums };
    const plan = new DispatchPlan(device, 'limits');
    const message = new RegExp(`exceeds the device limit of ${limit} per dimension`);
    expect(() => plan.add(kernel, buffers, [0], [limit + 1], 'too wide')).toThrow(`too wide: workgroup grid ${limit + 1}x1x1 exceeds the device limit of ${limit} per dimension`);
    expect(() => plan.add(kernel, buffers, [0], [1, limit + 1], 'too tall')).toThrow(message);
    expect(() => plan.add(kernel, buffers, [0], [1, 1, limit + 1], 'too deep')).toThrow(message);
    // Through an op: columnSums dispatches one workgroup per 64 columns along x.
    const cols = ELEMENTWISE_WORKGROUP * limit + 1;
    expect(() => kernels.columnSums(plan, { buffer: scratch, offset: 0 }, 1, cols, { buffer: sums, offsets: [0] }, 'wide sums')).toThrow(
      `wide sums: workgroup grid ${limit + 1}x1x1 exceeds the device limit of ${limit} per dimension`,
    );
    // Buffers go by binding name: an unknown or a missing one is refused, and nothing is added.
    expect(() => plan.add(kernel, { input: scratch, sums } as never, [0], [1], 'misnamed')).toThrow("Kernel columnSums has no binding named 'sums' (its buffers: input, output)");
    expect(() => plan.add(kernel, { input: scratch } as never, [0], [1], 'incomplete')).toThrow("Kernel columnSums: no buffer given for binding 'output' (@binding(1))");
    expect(plan.dispatchCount).toBe(0);
    plan.add(kernel, buffers, [0], [limit, limit, 1], 'at the limit');
    expect(plan.dispatchCount).toBe(1);
    plan.destroy();
    scratch.destroy();
    sums.destroy();
  });

  it('kernels that index a flat range read a 2-D grid as rows of groups.x workgroups', async () => {
    // gridFor only goes 2-D above 64·65535 elements; a small pretend limit exercises the
    // shaders' y-dimension indexing on a few hundred elements instead.
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const cache = pipelineCacheFor(device);
    const pretendLimit = 4;
    const count = 6 * ELEMENTWISE_WORKGROUP + 7; // 7 workgroups → a 4x2 grid with one to spare
    const grid = gridFor(Math.ceil(count / ELEMENTWISE_WORKGROUP), pretendLimit);
    expect(grid).toEqual([4, 2]);
    const elementwise = { WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP };

    // tanhForward, uniforms as KernelSet.tanhForward packs them: count, input, saved, output offsets.
    const x = randomFloats(count, 51, 3);
    const outputWords = placed(new Float32Array(count), 1, 2);
    const input = createStorageBufferWith(device, 'x', x);
    const output = createStorageBufferWith(device, 'tanh(x)', outputWords);
    // sgdUpdate over the same count.
    const initial = randomFloats(count, 52);
    const gradient = randomFloats(count, 53);
    const parameterWords = placed(initial, 0, 2);
    const parameters = createStorageBufferWith(device, 'parameters', parameterWords);
    const gradients = createStorageBufferWith(device, 'gradients', gradient);
    // embeddingForward: rows·hidden = count.
    const [rows, hidden, vocabulary] = [17, 23, 5];
    expect(Math.ceil((rows * hidden) / ELEMENTWISE_WORKGROUP)).toBe(7);
    const tokens = evenTokens(rows, vocabulary, 54);
    const weightAndBiases = randomFloats(hidden * vocabulary + 2 * hidden, 55);
    const embeddingWords = placed(new Float32Array(rows * hidden), 0, 2);
    const tokenBuffer = createStorageBufferWith(device, 'tokens', tokens);
    const embeddingParameters = createStorageBufferWith(device, 'embedding parameters', weightAndBiases);
    const projections = createStorageBufferWith(device, 'projections', embeddingWords);
    // softmaxCrossEntropy: one workgroup per row, 7 rows on a 3x3 grid.
    const [softmaxRows, classes] = [7, 9];
    const logits = randomFloats(softmaxRows * classes, 56, 3);
    const targets = Uint32Array.from({ length: softmaxRows }, (_, r) => (r * 4) % classes);
    const targetBuffer = createStorageBufferWith(device, 'targets', targets);
    const logitBuffer = createStorageBufferWith(device, 'logits', logits);
    const rowLosses = createStorageBufferWith(device, 'row losses', placed(new Float32Array(softmaxRows), 0, 2));

    const plan = new DispatchPlan(device, '2-D grids');
    plan.add(await cache.get('tanhForward', elementwise), { input, output }, [count, 0, 0, 1], grid, 'tanh forward 2-D');
    plan.add(await cache.get('sgdUpdate', elementwise), { gradients, parameters }, optimizerUniforms('sgd', { ...PLAIN, count, learningRate: 0.5 }), grid, 'sgd 2-D');
    const biasOffset = hidden * vocabulary;
    const embeddingUniforms: UniformField[] = [rows, hidden, vocabulary, 0, biasOffset, biasOffset + hidden, 0];
    plan.add(await cache.get('embeddingForward', elementwise), { tokens: tokenBuffer, parameters: embeddingParameters, projections }, embeddingUniforms, grid, 'embedding 2-D');
    const softmaxGrid = gridFor(softmaxRows, 3);
    expect(softmaxGrid).toEqual([3, 3]);
    plan.add(
      await cache.get('softmaxCrossEntropy', { WORKGROUP_SIZE: kernels.reductionSize }),
      { targets: targetBuffer, logits: logitBuffer, rowLosses },
      [softmaxRows, classes, 0, f32(1 / softmaxRows), classes],
      softmaxGrid,
      'softmax cross-entropy 2-D',
    );
    plan.submit();

    const gotTanh = await readAll(device, output, outputWords.length);
    expectClose('tanh forward on a 2-D grid', gotTanh.subarray(1, 1 + count), tanhForward(x), TANH_TOLERANCE);
    expectUntouchedOutside('tanh forward on a 2-D grid', gotTanh, outputWords, 1, count);
    const wantParameters = { p: Float64Array.from(initial) };
    new ReferenceOptimizer({ type: 'sgd', learningRate: 0.5 }).step(wantParameters, { p: Float64Array.from(gradient) });
    const gotParameters = await readAll(device, parameters, parameterWords.length);
    expectClose('sgd on a 2-D grid', gotParameters.subarray(0, count), wantParameters.p, SGD_TOLERANCE);
    expectUntouchedOutside('sgd on a 2-D grid', gotParameters, parameterWords, 0, count);
    const weight = weightAndBiases.subarray(0, biasOffset);
    const biasSum = Float64Array.from({ length: hidden }, (_, j) => weightAndBiases[biasOffset + j] + weightAndBiases[biasOffset + hidden + j]);
    const gotProjections = await readAll(device, projections, embeddingWords.length);
    expectClose('embedding on a 2-D grid', gotProjections.subarray(0, rows * hidden), embeddingForward(tokens, weight, biasSum, rows, vocabulary, hidden), EMBEDDING_FORWARD_TOLERANCE);
    expectUntouchedOutside('embedding on a 2-D grid', gotProjections, embeddingWords, 0, rows * hidden);
    const gotRowLosses = await readAll(device, rowLosses, softmaxRows + 2);
    expectClose('row losses on a 2-D grid', gotRowLosses.subarray(0, softmaxRows), softmaxCrossEntropyForward(logits, targets, softmaxRows, classes).rowLosses, LOSS_TOLERANCE);
    expect(Array.from(gotRowLosses.subarray(softmaxRows))).toEqual([SENTINEL, SENTINEL]);
    const gotGradient = await readAll(device, logitBuffer, softmaxRows * classes);
    expectClose('dLogits on a 2-D grid', gotGradient, softmaxCrossEntropyBackward(logits, targets, softmaxRows, classes), softmaxGradientTolerance(softmaxRows));
    plan.destroy();
    for (const buffer of [input, output, parameters, gradients, tokenBuffer, embeddingParameters, projections, targetBuffer, logitBuffer, rowLosses]) buffer.destroy();
  });
});
