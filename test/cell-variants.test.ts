/**
 * The LSTM and GRU cells' vec4 kernels (four hidden units per invocation, buffers bound
 * as vec4s) against their word kernels (one unit per invocation), forward and backward
 * on each adapter: from the same buffers, every word of every buffer afterwards is the
 * same bit for bit, for shapes of several workgroups with H/4 odd; gate pre-activations
 * include tanh's and σ's hard points. And which kernel cellKernelKey picks (no GPU).
 */
import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readWords } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { cellKernelKey, ELEMENTWISE_WORKGROUP, type KernelSet } from '../src/kernels/kernel-set.ts';
import { kernelsFor, TEST_ADAPTERS, contextFor } from './gpu-adapters.ts';
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

interface CellCase {
  name: string;
  /** The kernel's word and vec4 keys. */
  kernel: string;
  /** Initial contents of each buffer, by the name `record` binds it under. */
  initial(S: number): Record<string, Float32Array>;
  /** Adds the dispatch of step t; `vec4` false forces the word kernel. */
  record(kernels: KernelSet, plan: DispatchPlan, buffers: Buffers, B: number, H: number, vec4: boolean): void;
  /** The buffer the dispatch writes its main output to, and how many of its words it writes. */
  written: [string, (S: number) => number];
}

const CASES: CellCase[] = [
  {
    name: 'LSTM forward',
    kernel: 'lstmCellForward',
    initial: (S) => ({ saved: contents(T * 4 * S + (T + 1) * S, 1), hidden: contents((T + 1) * S, 2) }),
    record: (kernels, plan, b, B, H, vec4) => {
      const S = B * H;
      kernels.lstmCellForward(plan, { saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, vec4 }, 'LSTM forward');
    },
    written: ['hidden', (S) => S],
  },
  {
    name: 'LSTM backward',
    kernel: 'lstmCellBackward',
    initial: (S) => ({ saved: contents(T * 4 * S + (T + 1) * S, 3), gradients: contents((T + 1) * S, 4), work: contents(T * 4 * S + (T + 1) * S, 5) }),
    record: (kernels, plan, b, B, H, vec4) => {
      const S = B * H;
      kernels.lstmCellBackward(
        plan,
        { saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, cellGradientOffset: T * 4 * S + (t + 1) * S, vec4 },
        'LSTM backward',
      );
    },
    written: ['work', (S) => 5 * S],
  },
  {
    name: 'GRU forward',
    kernel: 'gruCellForward',
    initial: (S) => ({ saved: contents(2 * T * 3 * S, 6), hidden: contents((T + 1) * S, 7) }),
    record: (kernels, plan, b, B, H, vec4) => {
      const S = B * H;
      kernels.gruCellForward(plan, { saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: T * 3 * S + t * 3 * S, previousOffset: t * S, vec4 }, 'GRU forward');
    },
    written: ['hidden', (S) => S],
  },
  {
    name: 'GRU backward',
    kernel: 'gruCellBackward',
    initial: (S) => ({ states: contents((T + 1) * S, 8), saved: contents(2 * T * 3 * S, 9), gradients: contents((T + 1) * S, 10), work: contents(2 * T * 3 * S, 11) }),
    record: (kernels, plan, b, B, H, vec4) => {
      const S = B * H;
      kernels.gruCellBackward(
        plan,
        { states: b.states, saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: T * 3 * S + t * 3 * S, previousOffset: t * S, gradientOffset: (t + 1) * S, vec4 },
        'GRU backward',
      );
    },
    written: ['work', (S) => 6 * S],
  },
];

/** Runs one case from its initial contents; returns every buffer's words afterwards and the kernels it looked up. */
async function run(adapter: (typeof TEST_ADAPTERS)[number], cell: CellCase, B: number, H: number, vec4: boolean) {
  const { device } = await contextFor(adapter);
  const kernels = await kernelsFor(adapter);
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
    cell.record(kernels, plan, buffers, B, H, vec4);
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
        const words = await run(adapter, cell, B, H, false);
        const vec4 = await run(adapter, cell, B, H, true);
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

  it('LSTM forward: g = stableTanh4(a_g) is stableTanh(a_g) (tanhForward) bit for bit, the hard points included', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const [B, H] = SHAPES[1];
    const S = B * H;
    const cell = CASES[0];
    const { initial, words } = await run(adapter, cell, B, H, true);
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
    expect(cellKernelKey('lstmCellForward', 12, [48, 96, 24])).toBe('lstmCellForwardVec4');
    expect(cellKernelKey('gruCellBackward', 132, [])).toBe('gruCellBackwardVec4');
    expect(cellKernelKey('lstmCellBackward', 12, [48, 96, 26, 0])).toBe('lstmCellBackward');
    expect(cellKernelKey('gruCellForward', 6, [0, 0, 0])).toBe('gruCellForward');
    expect(cellKernelKey('gruCellForward', 12, [0, 0, 0], false)).toBe('gruCellForward');
  });
});
