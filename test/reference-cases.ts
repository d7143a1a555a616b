// Cases and helpers shared by the reference tests (reference-*.test.ts): random parameters and
// batches, finite-difference gradients, and the tolerance they compare with.
import { centralDifferenceGradient, referenceParameterShapes, rnnBackward, rnnForward, type ReferenceBatch, type ReferenceCell, type ReferenceDims, type ReferenceParameters, zeroGradients } from '../src/reference/index.ts';
import { seededRandom } from './random.ts';
import { expectClose, type Tolerance } from './check-close.ts';

/** Uniform in [−scale, scale). */
export function randomArray(random: () => number, length: number, scale: number): Float64Array {
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = (2 * random() - 1) * scale;
  return values;
}

export function randomIntegers(random: () => number, length: number, count: number): number[] {
  return Array.from({ length }, () => Math.floor(random() * count));
}

export function randomParameters(dims: ReferenceDims, random: () => number, scale: number): ReferenceParameters {
  const params: ReferenceParameters = {};
  for (const [name, shape] of Object.entries(referenceParameterShapes(dims))) {
    params[name] = randomArray(random, shape.reduce((a, b) => a * b, 1), scale);
  }
  return params;
}

/**
 * The reference tests compare relatively above a floor and absolutely below it
 * (withinRelative). A central difference with step h carries an
 * absolute error of about ε·|L|/h (rounding in L(x ± h)) plus h²·|L'''|/6 (truncation). For
 * these losses (L ≈ 2) that is smallest near h = 1e-5, where it measures 3e-11..6e-11
 * (h = 1e-6 gives 3e-10..6e-10). Below the floor a relative comparison would measure that
 * noise rather than a bug, so gradient elements under 1e-3 are held to 1e-9 absolute instead.
 */
export const RELATIVE_ERROR_FLOOR = 1e-3;
export const FINITE_DIFFERENCE_STEP = 1e-5;

/** dLoss/dθ for every element of every parameter by central differences. */
export function finiteDifferenceGradients(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): ReferenceParameters {
  const gradients: ReferenceParameters = {};
  for (const name of Object.keys(params)) {
    gradients[name] = centralDifferenceGradient(() => rnnForward(params, dims, batch).loss, params[name], FINITE_DIFFERENCE_STEP);
  }
  return gradients;
}

export function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}



export const T = 5;
export const B = 3;
export const H = 4;
export const V = 6;

export function makeCase(kind: 'tokens' | 'dense', withInitialHidden: boolean, seed: number) {
  const random = seededRandom(seed);
  const dims: ReferenceDims = { inputSize: kind === 'tokens' ? 5 : 3, hiddenSize: H, outputSize: V };
  const params = randomParameters(dims, random, 0.5);
  const batch: ReferenceBatch = {
    timeSteps: T,
    batchSize: B,
    targets: randomIntegers(random, T * B, V),
    ...(kind === 'tokens'
      ? { inputTokens: randomIntegers(random, T * B, dims.inputSize) }
      : { inputs: randomArray(random, T * B * dims.inputSize, 1) }),
    ...(withInitialHidden ? { initialHidden: randomArray(random, B * H, 0.8) } : {}),
  };
  return { dims, params, batch };
}


export const CELLS: ReferenceCell[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
export const SMALL = { I: 5, H: 3, V: 4, T: 4, B: 2 };

export interface CellCaseOptions {
  cell: ReferenceCell;
  layers: number;
  kind?: 'tokens' | 'dense';
  withDropout?: boolean;
  seed: number;
}

/** Random parameters, inputs, targets, initial states (and, if asked, dropout masks with p = 0.3). */
export function makeCellCase({ cell, layers, kind = 'tokens', withDropout = false, seed }: CellCaseOptions) {
  const { I, H, V, T: steps, B: rows } = SMALL;
  const random = seededRandom(seed);
  const dims: ReferenceDims = { inputSize: I, hiddenSize: H, outputSize: V, cell, layers };
  const params = randomParameters(dims, random, 0.8);
  const states = layers * rows * H;
  const batch: ReferenceBatch = {
    timeSteps: steps,
    batchSize: rows,
    targets: randomIntegers(random, steps * rows, V),
    ...(kind === 'tokens'
      ? { inputTokens: randomIntegers(random, steps * rows, I) }
      : { inputs: randomArray(random, steps * rows * I, 1) }),
    initialHidden: randomArray(random, states, 0.8),
    ...(cell === 'lstm' ? { initialCell: randomArray(random, states, 1.5) } : {}),
  };
  if (withDropout) {
    const keep = 1 / (1 - 0.3);
    batch.dropoutMasks = Array.from({ length: layers - 1 }, () =>
      Float64Array.from({ length: steps * rows * H }, () => (random() < 0.3 ? 0 : keep)),
    );
  }
  return { dims, params, batch };
}


/** The reference tests' tolerance: |got − want| ≤ tolerance · (|want| + RELATIVE_ERROR_FLOOR), relative above the floor, absolute below it. */
export function withinRelative(tolerance: number): Tolerance {
  return { relative: tolerance, absolute: tolerance * RELATIVE_ERROR_FLOOR };
}

/** rnnBackward adds into the gradients it is given: two backward passes into one buffer give twice one pass. */
export function expectBackwardAddsIntoGradients(label: string, params: ReferenceParameters, dims: ReferenceDims, batch: ReferenceBatch): void {
  const forward = rnnForward(params, dims, batch);
  const once = zeroGradients(dims);
  rnnBackward(params, dims, batch, forward, once);
  const twice = zeroGradients(dims);
  rnnBackward(params, dims, batch, forward, twice);
  rnnBackward(params, dims, batch, forward, twice);
  for (const name of Object.keys(once)) expectClose(`${label}${name}`, twice[name], once[name].map((g) => 2 * g), withinRelative(1e-15));
}
