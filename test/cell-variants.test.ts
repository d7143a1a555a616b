/**
 * The LSTM and GRU cells' vec4 kernels (four hidden units per invocation, buffers bound
 * as vec4s) against their word kernels (one unit per invocation), forward and backward
 * on each adapter: from the same buffers, every word of every buffer afterwards is the
 * same bit for bit, for shapes of several workgroups with H/4 odd; gate pre-activations
 * include tanh's and σ's hard points; any one offset not a multiple of 4 takes the word
 * kernel. And which kernel cellKernelKey picks (no GPU).
 */
import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readWords } from '../src/device/buffers.ts';
import { type DispatchHandle, DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { type CellKernel, cellKernelKey, ELEMENTWISE_WORKGROUP, type GruCellArgs, KernelSet, type LstmCellArgs } from '../src/kernels/kernel-set.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

/** [B, H]: B·H/4 spans 2 workgroups of the vec4 kernels (5–7 of the word kernels); H/4 = 3 and 33. */
const SHAPES: [number, number][] = [
  [24, 12],
  [3, 132],
];
/** Two time steps, the cells run at t = 1, so every offset is a non-zero multiple of 4. */
const T = 2;
const t = 1;

/** Where σ and tanh switch form or overflow (shaders/sigmoid.wgsl, tanh.wgsl), both signs. */
const HARD_POINTS = [0, 300, 89, 88, 20, 9, 1e-3, 1e-30, 0.099, 0.101, 0.1, Math.fround(0.1) * (1 + 2 ** -23), Math.fround(0.1) * (1 - 2 ** -24)].flatMap((x) => [x, -x]);

/** Random words in [−4, 4), the first of them `HARD_POINTS`. */
function contents(words: number, seed: number): Float32Array {
  const values = randomFloats(words, seed, 4);
  values.set(HARD_POINTS);
  return values;
}

type Buffers = Record<string, GPUBuffer>;
type CellArgs = LstmCellArgs | GruCellArgs;

interface CellCase {
  name: string;
  /** The op (KernelSet method), named as its word kernel. */
  kernel: CellKernel;
  /** Initial contents of each buffer, by the name `args` binds it under (4 words more than the op reaches). */
  initial(S: number): Record<string, Float32Array>;
  /** The op's arguments for step t. */
  args(buffers: Buffers, B: number, H: number): CellArgs;
  /** The buffer the dispatch writes its main output to, and how many of its words it writes. */
  written: [string, (S: number) => number];
}

const CASES: CellCase[] = [
  {
    name: 'LSTM forward',
    kernel: 'lstmCellForward',
    initial: (S) => ({ saved: contents(T * 4 * S + (T + 1) * S + 4, 1), hidden: contents((T + 1) * S + 4, 2) }),
    args: (b, B, H) => ({ saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, gatesOffset: t * 4 * B * H, cellOffset: T * 4 * B * H + t * B * H, hiddenOffset: (t + 1) * B * H }),
    written: ['hidden', (S) => S],
  },
  {
    name: 'LSTM backward',
    kernel: 'lstmCellBackward',
    initial: (S) => ({ saved: contents(T * 4 * S + (T + 1) * S + 4, 3), gradients: contents((T + 1) * S + 4, 4), work: contents(T * 4 * S + (T + 1) * S + 4, 5) }),
    args: (b, B, H) => {
      const S = B * H;
      return { saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, cellGradientOffset: T * 4 * S + (t + 1) * S };
    },
    written: ['work', (S) => 5 * S],
  },
  {
    name: 'GRU forward',
    kernel: 'gruCellForward',
    initial: (S) => ({ saved: contents(2 * T * 3 * S + 4, 6), hidden: contents((T + 1) * S + 4, 7) }),
    args: (b, B, H) => ({ saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, inputPartOffset: t * 3 * B * H, recurrentPartOffset: (T + t) * 3 * B * H, previousOffset: t * B * H }),
    written: ['hidden', (S) => S],
  },
  {
    name: 'GRU backward',
    kernel: 'gruCellBackward',
    initial: (S) => ({ states: contents((T + 1) * S + 4, 8), saved: contents(2 * T * 3 * S + 4, 9), gradients: contents((T + 1) * S + 4, 10), work: contents(2 * T * 3 * S + 4, 11) }),
    args: (b, B, H) => {
      const S = B * H;
      return { states: b.states, saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: (T + t) * 3 * S, previousOffset: t * S, gradientOffset: (t + 1) * S };
    },
    written: ['work', (S) => 6 * S],
  },
];

/** The adapter's kernel set with the cell kernels (both variants) and tanhForward compiled (not every kernel: a SwiftShader compile takes seconds). */
async function cellKernels(adapter: (typeof TEST_ADAPTERS)[number]): Promise<KernelSet> {
  const kernels = await KernelSet.load((await contextFor(adapter)).device);
  await kernels.ensure([...CASES.flatMap((cell) => [cell.kernel, `${cell.kernel}Vec4`]), 'tanhForward']);
  return kernels;
}

/**
 * Runs one case from its initial contents, its arguments changed by `change` (vec4 false: the word
 * kernel); returns every buffer's words afterwards and the kernels the op looked up.
 */
async function run(adapter: (typeof TEST_ADAPTERS)[number], cell: CellCase, B: number, H: number, change: Partial<CellArgs>) {
  const { device } = await contextFor(adapter);
  const kernels = await cellKernels(adapter);
  const initial = cell.initial(B * H);
  const buffers: Buffers = Object.fromEntries(Object.entries(initial).map(([name, data]) => [name, createStorageBufferWith(device, name, data)]));
  const looked = new Set<string>();
  const lookUp = kernels.kernel;
  kernels.kernel = function (this: KernelSet, key: string) {
    looked.add(key);
    return lookUp.call(this, key);
  };
  const plan = new DispatchPlan(device, cell.name);
  try {
    const op = kernels[cell.kernel] as (plan: DispatchPlan, args: CellArgs, label: string) => DispatchHandle;
    op.call(kernels, plan, { ...cell.args(buffers, B, H), ...change }, cell.name);
  } finally {
    delete (kernels as Partial<KernelSet>).kernel;
  }
  plan.submit();
  const words: Record<string, Uint32Array> = {};
  for (const [name, data] of Object.entries(initial)) words[name] = new Uint32Array(await readWords(device, buffers[name], 0, data.length));
  plan.destroy();
  for (const buffer of Object.values(buffers)) buffer.destroy();
  return { initial, words, kernels: [...looked] };
}

/** Fails at the first word whose bits differ, naming it and both values. */
function expectSameBits(what: string, got: Uint32Array, want: Uint32Array): void {
  expect(got.length, `${what}: words`).toBe(want.length);
  const index = got.findIndex((bits, i) => bits !== want[i]);
  if (index >= 0) {
    const asFloat = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
    expect.fail(`${what}: word ${index} is ${asFloat(got[index])} (0x${got[index].toString(16)}), the word kernel wrote ${asFloat(want[index])} (0x${want[index].toString(16)})`);
  }
}

describe.each(TEST_ADAPTERS)('cell kernels, vec4 against words, on %s', (adapter) => {
  for (const cell of CASES) {
    for (const [B, H] of SHAPES) {
      it(`${cell.name}, B ${B}, H ${H}: every word of every buffer the same bit for bit`, async () => {
        expect(Math.ceil((B * H) / 4 / ELEMENTWISE_WORKGROUP), 'vec4 workgroups').toBeGreaterThan(1);
        const words = await run(adapter, cell, B, H, { vec4: false });
        const vec4 = await run(adapter, cell, B, H, {});
        expect(words.kernels).toEqual([cell.kernel]);
        expect(vec4.kernels).toEqual([`${cell.kernel}Vec4`]);
        // The dispatch did its work: (nearly) every word of its main output changed.
        const [output, count] = cell.written;
        const before = new Uint32Array(words.initial[output].buffer);
        const changed = words.words[output].filter((bits, i) => bits !== before[i]).length;
        expect(changed, `changed words of ${output}`).toBeGreaterThan(0.95 * count(B * H));
        for (const name of Object.keys(words.words)) expectSameBits(`${cell.name} ${name}`, vec4.words[name], words.words[name]);
      });
    }
  }

  for (const cell of CASES) {
    it(`${cell.name}: H = 12 with any one offset not a multiple of 4 takes the word kernel`, async () => {
      const [B, H] = SHAPES[0];
      const offsets = Object.entries(cell.args({}, B, H)).filter(([field]) => field.endsWith('Offset'));
      expect(offsets.length).toBeGreaterThanOrEqual(3);
      for (const [field, value] of offsets) {
        const { kernels } = await run(adapter, cell, B, H, { [field]: (value as number) + 2 });
        expect(kernels, `${field} + 2`).toEqual([cell.kernel]);
      }
    });
  }

  it('LSTM forward: g = stableTanh4(a_g) is stableTanh(a_g) (tanhForward) bit for bit, the hard points included', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await cellKernels(adapter);
    const [B, H] = SHAPES[1];
    const S = B * H;
    const cell = CASES[0];
    const { initial, words } = await run(adapter, cell, B, H, {});
    const gates = initial.saved.subarray(t * 4 * S, (t + 1) * 4 * S);
    const input = createStorageBufferWith(device, 'gate pre-activations', gates);
    const output = createStorageBufferWith(device, 'tanh of them', new Float32Array(gates.length));
    const plan = new DispatchPlan(device, 'tanh of the gates');
    kernels.tanhForward(plan, { buffer: input, offset: 0 }, { buffer: output, offset: 0 }, gates.length, 'tanh forward');
    plan.submit();
    const scalar = new Uint32Array(await readWords(device, output, 0, gates.length));
    plan.destroy();
    input.destroy();
    output.destroy();
    // g of row b is words b·4H + 2H .. b·4H + 3H − 1 of the step's gates.
    const pick = (all: Uint32Array) => Uint32Array.from({ length: S }, (_, k) => all[Math.floor(k / H) * 4 * H + 2 * H + (k % H)]);
    expectSameBits('g', pick(words.saved.subarray(t * 4 * S, (t + 1) * 4 * S)), pick(scalar));
  });
});

describe('cellKernelKey', () => {
  it('picks the vec4 kernel when H and every offset are multiples of 4, the word kernel otherwise or when asked', () => {
    expect(cellKernelKey('lstmCellForward', { batch: 3, hiddenSize: 12, gatesOffset: 48, cellOffset: 96, hiddenOffset: 24 })).toBe('lstmCellForwardVec4');
    expect(cellKernelKey('gruCellBackward', { hiddenSize: 132 })).toBe('gruCellBackwardVec4');
    expect(cellKernelKey('lstmCellBackward', { batch: 4, hiddenSize: 12, gatesOffset: 48, cellOffset: 96, hiddenOffset: 26, cellGradientOffset: 0 })).toBe('lstmCellBackward');
    expect(cellKernelKey('gruCellForward', { batch: 4, hiddenSize: 6, inputPartOffset: 0 })).toBe('gruCellForward');
    expect(cellKernelKey('gruCellForward', { batch: 4, hiddenSize: 12, inputPartOffset: 0 }, false)).toBe('gruCellForward');
  });
});
