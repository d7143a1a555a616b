/**
 * The recurrent kernels' vec4 variants against their word variants, forward and backward
 * on each adapter: the LSTM and GRU cells (four hidden units per invocation, buffers bound
 * as vec4s, against one unit per invocation) and the fused RNN step, tanh and relu
 * (operands and epilogue as vec4s, K_STEP 4, against word loads). From the same buffers,
 * every word of every buffer afterwards is the same bit for bit, for shapes of several
 * workgroups with H/4 odd; gate pre-activations include tanh's and σ's hard points; any
 * one offset not a multiple of 4 takes the word kernel. And which kernel cellKernelKey
 * picks (no GPU).
 */
import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readWords } from '../src/device/buffers.ts';
import { type DispatchHandle, DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { cellKernelKey, ELEMENTWISE_WORKGROUP, type GruCellArgs, KernelSet, type LstmCellArgs, matmulGrid, RNN_STEP_TILE, type RnnStepArgs, rnnStepKey } from '../src/kernels/kernel-set.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

/** [B, H]: 2 workgroups of the vec4 cell kernels (5–7 of the word ones), 3 of the RNN step; H/4 = 3 and 33. */
const SHAPES: [number, number][] = [
  [24, 12],
  [3, 132],
];
/** Two time steps, the kernels run at t = 1, so every offset is a non-zero multiple of 4. */
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
type CellArgs = LstmCellArgs | GruCellArgs | RnnStepArgs;

interface CellCase {
  name: string;
  /** The op (KernelSet method). */
  op: 'lstmCellForward' | 'lstmCellBackward' | 'gruCellForward' | 'gruCellBackward' | 'rnnStepForward' | 'rnnStepBackward';
  /** The pipeline keys of its word and vec4 variants. */
  keys: [string, string];
  /** Initial contents of each buffer, by the name `args` binds it under (4 words more than the op reaches). */
  initial(B: number, H: number): Record<string, Float32Array>;
  /** The op's arguments for step t. */
  args(buffers: Buffers, B: number, H: number): CellArgs;
  /** The buffer the dispatch writes its main output to, and how many of its words it writes. */
  written: [string, (S: number) => number];
  /** Workgroups of the vec4 variant. */
  workgroups(B: number, H: number): number;
}

const cellWorkgroups = (B: number, H: number) => Math.ceil((B * H) / 4 / ELEMENTWISE_WORKGROUP);
const stepWorkgroups = (B: number, H: number) => matmulGrid(RNN_STEP_TILE, B, H).reduce((x, y) => x * y);
/** W_hh's offset in the RNN step's parameter buffer. */
const WEIGHT_OFFSET = 64;

/** The fused RNN step, forward or backward, tanh or relu. */
function rnnStepCase(backward: boolean, relu: boolean, seed: number): CellCase {
  const direction = backward ? 'backward' : 'forward';
  return {
    name: `RNN ${relu ? 'relu' : 'tanh'} ${direction}`,
    op: backward ? 'rnnStepBackward' : 'rnnStepForward',
    keys: [rnnStepKey(backward, relu), rnnStepKey(backward, relu, true)],
    initial: (B, H) => ({
      parameters: Float32Array.from(contents(WEIGHT_OFFSET + H * H + 4, seed), (w) => w / 8),
      states: contents((T + 2) * B * H + 4, seed + 1),
      ...(backward ? { hidden: contents((T + 1) * B * H + 4, seed + 2).map((h) => h / 4) } : {}),
    }),
    args: (b, B, H) => ({
      relu,
      parameters: b.parameters,
      weightOffset: WEIGHT_OFFSET,
      states: b.states,
      // Forward: h_t into slot t + 1 from h_{t−1} in slot t; backward: dA_t into slot t + 1 from dA_{t+1} in slot t + 2.
      sourceOffset: (backward ? t + 2 : t) * B * H,
      targetOffset: (t + 1) * B * H,
      ...(backward ? { saved: { buffer: b.hidden, offset: (t + 1) * B * H } } : {}),
      batch: B,
      hiddenSize: H,
    }),
    written: ['states', (S) => S],
    workgroups: stepWorkgroups,
  };
}

const CASES: CellCase[] = [
  {
    name: 'LSTM forward',
    op: 'lstmCellForward',
    keys: ['lstmCellForward', 'lstmCellForwardVec4'],
    workgroups: cellWorkgroups,
    initial: (B, H, S = B * H) => ({ saved: contents(T * 4 * S + (T + 1) * S + 4, 1), hidden: contents((T + 1) * S + 4, 2) }),
    args: (b, B, H) => ({ saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, gatesOffset: t * 4 * B * H, cellOffset: T * 4 * B * H + t * B * H, hiddenOffset: (t + 1) * B * H }),
    written: ['hidden', (S) => S],
  },
  {
    name: 'LSTM backward',
    op: 'lstmCellBackward',
    keys: ['lstmCellBackward', 'lstmCellBackwardVec4'],
    workgroups: cellWorkgroups,
    initial: (B, H, S = B * H) => ({ saved: contents(T * 4 * S + (T + 1) * S + 4, 3), gradients: contents((T + 1) * S + 4, 4), work: contents(T * 4 * S + (T + 1) * S + 4, 5) }),
    args: (b, B, H) => {
      const S = B * H;
      return { saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, cellGradientOffset: T * 4 * S + (t + 1) * S };
    },
    written: ['work', (S) => 5 * S],
  },
  {
    name: 'GRU forward',
    op: 'gruCellForward',
    keys: ['gruCellForward', 'gruCellForwardVec4'],
    workgroups: cellWorkgroups,
    initial: (B, H, S = B * H) => ({ saved: contents(2 * T * 3 * S + 4, 6), hidden: contents((T + 1) * S + 4, 7) }),
    args: (b, B, H) => ({ saved: b.saved, stepStates: b.hidden, batch: B, hiddenSize: H, inputPartOffset: t * 3 * B * H, recurrentPartOffset: (T + t) * 3 * B * H, previousOffset: t * B * H }),
    written: ['hidden', (S) => S],
  },
  {
    name: 'GRU backward',
    op: 'gruCellBackward',
    keys: ['gruCellBackward', 'gruCellBackwardVec4'],
    workgroups: cellWorkgroups,
    initial: (B, H, S = B * H) => ({ states: contents((T + 1) * S + 4, 8), saved: contents(2 * T * 3 * S + 4, 9), gradients: contents((T + 1) * S + 4, 10), work: contents(2 * T * 3 * S + 4, 11) }),
    args: (b, B, H) => {
      const S = B * H;
      return { states: b.states, saved: b.saved, stepStates: b.gradients, work: b.work, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: (T + t) * 3 * S, previousOffset: t * S, gradientOffset: (t + 1) * S };
    },
    written: ['work', (S) => 6 * S],
  },
  rnnStepCase(false, false, 12),
  rnnStepCase(false, true, 15),
  rnnStepCase(true, false, 18),
  rnnStepCase(true, true, 21),
];

/** The adapter's kernel set with the cases' kernels (both variants) and tanhForward compiled (not every kernel: a SwiftShader compile takes seconds). */
async function cellKernels(adapter: (typeof TEST_ADAPTERS)[number]): Promise<KernelSet> {
  const kernels = await KernelSet.load((await contextFor(adapter)).device);
  await kernels.ensure([...CASES.flatMap((cell) => cell.keys), 'tanhForward']);
  return kernels;
}

/**
 * Runs one case from its initial contents, its arguments changed by `change` (vec4 false: the word
 * variant); returns every buffer's words afterwards and the kernels the op looked up.
 */
async function run(adapter: (typeof TEST_ADAPTERS)[number], cell: CellCase, B: number, H: number, change: (args: CellArgs) => CellArgs = (args) => args) {
  const { device } = await contextFor(adapter);
  const kernels = await cellKernels(adapter);
  const initial = cell.initial(B, H);
  const buffers: Buffers = Object.fromEntries(Object.entries(initial).map(([name, data]) => [name, createStorageBufferWith(device, name, data)]));
  const looked = new Set<string>();
  const lookUp = kernels.kernel;
  kernels.kernel = function (this: KernelSet, key: string) {
    looked.add(key);
    return lookUp.call(this, key);
  };
  const plan = new DispatchPlan(device, cell.name);
  try {
    const op = kernels[cell.op] as (plan: DispatchPlan, args: CellArgs, label: string) => DispatchHandle;
    op.call(kernels, plan, change(cell.args(buffers, B, H)), cell.name);
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

describe.each(TEST_ADAPTERS)('recurrent kernels, vec4 against words, on %s', (adapter) => {
  for (const cell of CASES) {
    for (const [B, H] of SHAPES) {
      it(`${cell.name}, B ${B}, H ${H}: every word of every buffer the same bit for bit`, async () => {
        expect(cell.workgroups(B, H), 'vec4 workgroups').toBeGreaterThan(1);
        const words = await run(adapter, cell, B, H, (args) => ({ ...args, vec4: false }));
        const vec4 = await run(adapter, cell, B, H);
        expect(words.kernels).toEqual([cell.keys[0]]);
        expect(vec4.kernels).toEqual([cell.keys[1]]);
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
    it(`${cell.name}: H = 12 with any one offset not a multiple of 4 takes the word variant`, async () => {
      const [B, H] = SHAPES[0];
      const args = cell.args({}, B, H);
      // Each offset field, and the saved slice's offset, 2 words further.
      const misalignments: [string, (args: CellArgs) => CellArgs][] = Object.entries(args)
        .filter(([field]) => field.endsWith('Offset'))
        .map(([field, value]) => [field, (given) => ({ ...given, [field]: (value as number) + 2 })]);
      if ('saved' in args && args.saved && 'offset' in args.saved) {
        misalignments.push([
          'saved.offset',
          (given) => {
            const { saved } = given as RnnStepArgs;
            return { ...(given as RnnStepArgs), saved: { buffer: saved!.buffer, offset: saved!.offset + 2 } };
          },
        ]);
      }
      expect(misalignments.length).toBeGreaterThanOrEqual(3);
      for (const [what, change] of misalignments) {
        const { kernels } = await run(adapter, cell, B, H, change);
        expect(kernels, `${what} + 2`).toEqual([cell.keys[0]]);
      }
    });
  }

  it('LSTM forward: g = stableTanh4(a_g) is stableTanh(a_g) (tanhForward) bit for bit, the hard points included', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await cellKernels(adapter);
    const [B, H] = SHAPES[1];
    const S = B * H;
    const cell = CASES[0];
    const { initial, words } = await run(adapter, cell, B, H);
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
