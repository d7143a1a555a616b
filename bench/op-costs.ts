/**
 * The ops of a one-layer LSTM training step (one-hot input, V = 65), each timed alone (the
 * recurrent products with their shared W_hh packed once, as in a step): the
 * op recorded 64 times into one pass, best of three runs, wall time and CPU time of this
 * process per op, and its CPU time per training step (× how many times a step runs it).
 * For adapters without timestamp queries (llvmpipe), where the bench's per-kernel table
 * cannot be had; the inputs are not the step's values, only its shapes.
 *
 *   npx vite build --ssr bench/op-costs.ts --outDir dist/scratch && node dist/scratch/op-costs.js [adapter] [H] [B] [T] [name part]
 */
import { createStorageBuffer } from '../src/device/buffers.ts';
import { type AdapterPreference, createGpuContext } from '../src/index.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { ALL_KERNELS, GRADIENT_NORM_SCRATCH, KernelSet } from '../src/kernels/kernel-set.ts';
import { groupedTokenRowsWords } from '../src/kernels/sequence-ops.ts';
import { headRows } from '../src/model/parameter-layout.ts';
import { cpuSecondsOf, timeQueue } from './timing.ts';

const adapter = (process.argv[2] ?? 'llvmpipe') as AdapterPreference;
const H = Number(process.argv[3] ?? 128), B = Number(process.argv[4] ?? 32), T = Number(process.argv[5] ?? 32), V = 65;
const VP = headRows(V); // the head's products run over V′ rows, as in the step
const context = await createGpuContext({ adapter });
const kernels = await KernelSet.load(context.device);
await kernels.ensure(ALL_KERNELS.filter((key) => kernels.llvmpipe || !key.endsWith(' textures'))); // texture-operand cores only where chosen
const device = context.device;
const big = (n: number) => createStorageBuffer(device, 'buf', n);
const params = big(4 * H * (H + V) + 8 * H + V * H + V + 64);
const grads = big(4 * H * (H + V) + 8 * H + V * H + V + 64);
const m1 = big(4 * H * (H + V) + 8 * H + V * H + V + 64), m2 = big(4 * H * (H + V) + 8 * H + V * H + V + 64);
const count = 4 * H * (H + V) + 8 * H + V * H + V;
const tokens = big(T * B);
// Tokens spread over the vocabulary as text's are (the grouped walk's groups have their real sizes).
device.queue.writeBuffer(tokens, 0, Uint32Array.from({ length: T * B }, (_, i) => (i * 7919 + ((i * i) % 13)) % V));
const grouped = big(groupedTokenRowsWords(T * B, V));
const normScratch = big(GRADIENT_NORM_SCRATCH), guardWords = big(4);
const saved = big(T * B * 4 * H + (T + 1) * B * H), states = big((T + 1) * B * H), work = big(T * B * 4 * H + (T + 2) * B * H);
const gates = big(T * B * 4 * H);
// a_t += h_{t−1} W_hhᵀ: the recurrent forward product of step t.
const forwardProduct = (t: number) => ({ a: { buffer: states, offset: t * B * H }, b: { buffer: params, offset: 4 * H * V }, c: { buffer: saved, offset: t * B * 4 * H }, m: B, n: 4 * H, k: H, transposeB: true, accumulate: true, sharedB: true });
const ops: Record<string, (plan: DispatchPlan) => void> = {
  lstmCellForward: (p) => kernels.lstmCellForward(p, { saved, stepStates: states, batch: B, hiddenSize: H, gatesOffset: 0, cellOffset: T * B * 4 * H, hiddenOffset: B * H }, 'x'),
  lstmCellBackward: (p) => kernels.lstmCellBackward(p, { saved, stepStates: states, work, batch: B, hiddenSize: H, gatesOffset: 0, cellOffset: T * B * 4 * H, hiddenOffset: B * H, cellGradientOffset: T * B * 4 * H + B * H }, 'x'),
  'embeddingForward (all T)': (p) => kernels.embeddingForward(p, { tokens, parameters: params, weightOffset: 0, biasOffsets: [4 * H * (H + V), 4 * H * (H + V) + 4 * H], output: { buffer: gates, offset: 0 }, rows: T * B, width: 4 * H, vocabulary: V }, 'x'),
  // dW_ih and both biases' gradients: the grouped walk sums the biases too (the step's op); then the column sums alone.
  'embeddingBackward (all T)': (p) => kernels.embeddingBackward(p, { tokens, grouped, dPreactivations: { buffer: gates, offset: 0 }, gradients: grads, weightOffset: 0, rows: T * B, width: 4 * H, vocabulary: V, biasOffsets: [4 * H * V, 4 * H * V + 4 * H] }, 'x'),
  'columnSums (all T)': (p) => kernels.columnSums(p, { buffer: gates, offset: 0 }, T * B, 4 * H, { buffer: grads, offsets: [8, 8 + 4 * H] }, 'x'),
  'gradient norm': (p) => kernels.guardedGradientNorm(p, { gradients: grads, count, scratch: normScratch, normHistory: m1, lossHistory: m2, guard: guardWords, maxNorm: 0, updateCount: count }, 'x'),
  adam: (p) => kernels.optimizerUpdate(p, 'adam', { gradients: grads, parameters: params, firstState: m1, secondState: m2 }, { count, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, biasCorrection1: 0.1, biasCorrection2Sqrt: 0.03, weightDecay: 0, decoupled: false } as never, 'x'),
  'softmaxCE (all T)': (p) => kernels.softmaxCrossEntropy(p, { targets: tokens, logits: { buffer: work, offset: 0 }, rowLosses: m1, rows: T * B, classes: V, rowLength: VP }, 'x'),
  'head forward (all T)': (p) => kernels.matmul(p, { a: { buffer: states, offset: B * H }, b: { buffer: params, offset: 0 }, c: { buffer: work, offset: 0 }, m: T * B, n: VP, k: H, transposeB: true, bias: { buffer: params, offsets: [8] } }, 'x'),
  'head state grad (all T)': (p) => kernels.matmul(p, { a: { buffer: work, offset: 0 }, b: { buffer: params, offset: 0 }, c: { buffer: saved, offset: 0 }, m: T * B, n: H, k: VP }, 'x'),
  'head weight grad (all T)': (p) => kernels.matmul(p, { a: { buffer: work, offset: 0 }, b: { buffer: states, offset: 0 }, c: { buffer: grads, offset: 0 }, m: VP, n: H, k: T * B, transposeA: true, accumulate: true }, 'x'),
  'rec. weight grad (all T)': (p) => kernels.matmul(p, { a: { buffer: gates, offset: 0 }, b: { buffer: states, offset: 0 }, c: { buffer: grads, offset: 0 }, m: 4 * H, n: H, k: T * B, transposeA: true, accumulate: true }, 'x'),
  'rec. backward matmul': (p) => kernels.matmul(p, { a: { buffer: gates, offset: 0 }, b: { buffer: params, offset: 0 }, c: { buffer: saved, offset: 0 }, m: B, n: H, k: 4 * H, accumulate: true, sharedB: true }, 'x'),
  // The forward recurrence as a step records it: each product's h_{t−1} is copied into a texture after the
  // cell before it wrote it, so this includes the copies and pass breaks the ops alone do not.
  'forward loop (all T)': (p) => {
    for (let t = 0; t < T; t++) {
      kernels.matmul(p, forwardProduct(t), 'x');
      kernels.lstmCellForward(p, { saved, stepStates: states, batch: B, hiddenSize: H, gatesOffset: t * B * 4 * H, cellOffset: T * B * 4 * H + t * B * H, hiddenOffset: (t + 1) * B * H }, 'x');
    }
  },
  'forward products loop (all T)': (p) => {
    for (let t = 0; t < T; t++) {
      kernels.matmul(p, forwardProduct(t), 'x');
    }
  },
  'rec. forward matmul': (p) => kernels.matmul(p, forwardProduct(0), 'x'),
};
console.log(`${context.description}: H ${H} B ${B} T ${T}; µs per op (wall, CPU) and per step (× per-step count)`);
const only = process.argv[6]; // a part of the ops' names: only those are timed
for (const [name, op] of Object.entries(ops).filter(([name]) => !only || name.includes(only))) {
  const time = async (repeats: number) => {
    const plan = new DispatchPlan(device, name);
    for (let i = 0; i < repeats; i++) op(plan);
    plan.build();
    await device.queue.onSubmittedWorkDone();
    let wall = 0;
    const cpu = await cpuSecondsOf(async () => { wall = await timeQueue(device, () => plan.submit()); });
    plan.destroy();
    return { wall: wall / repeats, cpu: cpu / repeats };
  };
  const repeats = name.includes('loop') ? 2 : 64; // a loop is a whole step's worth already
  await time(1);
  let best = { wall: Infinity, cpu: Infinity };
  for (let round = 0; round < 3; round++) { const t = await time(repeats); if (t.cpu < best.cpu) best = t; }
  const perStep = name.includes('all T') || name === 'adam' || name === 'gradient norm' ? 1 : T;
  // (rec. forward and backward run once per time step; the rest once per step.)
  console.log(`${name.padEnd(28)} wall ${(best.wall * 1e6).toFixed(1).padStart(8)} µs  cpu ${(best.cpu * 1e6).toFixed(1).padStart(8)} µs   × ${perStep} = ${(best.cpu * perStep * 1e3).toFixed(2)} ms CPU per step`);
}
process.exit(0);
