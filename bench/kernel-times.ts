/**
 * GPU time per kernel of one training step, from timestamp queries, where the adapter
 * has them (SwiftShader and most hardware adapters; llvmpipe has none): the model runs
 * a few real training steps with every dispatch in a timed pass of its own
 * (RnnModel.profileTrainStep), each dispatch keeps the median of its times over those
 * steps, and the dispatches are grouped by the kernel they run and a role read from
 * their label (recurrent products forward and backward, weight gradients, head, cells,
 * loss, Adam, …).
 *
 * The sum of the dispatches' GPU times is compared with the wall time of a normal step
 * timed just before each profiled one (under the same load) and with the timed steps'
 * best: the difference is what runs outside the dispatches (encoding, the submission,
 * buffer clears and copies, gaps between dispatches) or what profiling adds. A profiled
 * step has a pass per dispatch, so its own wall time and the GPU span (first pass
 * began → last ended) are reported too.
 */
import type { RnnModel } from '../src/index.ts';
import type { DispatchTiming } from '../src/kernels/dispatch-profiler.ts';
import { now } from './timing.ts';

type Batch = Parameters<RnnModel['trainStep']>[0];

export interface KernelTimeRow {
  role: string;
  kernel: string;
  dispatches: number;
  /** Σ of the group's dispatch times (each the median over the profiled steps), per step. */
  seconds: number;
  /** seconds ÷ the Σ over all dispatches of the step. */
  fraction: number;
}

export interface KernelTimes {
  profiledSteps: number;
  /** Σ of every dispatch's GPU time (medians), per step. */
  gpuSeconds: number;
  /** First profiled step: from the beginning of its first pass to the end of its last (pass boundaries included). */
  gpuSpanSeconds: number;
  /** Wall time of one profiled step (submit to timestamps read back; the median). */
  profiledStepWallSeconds: number;
  /** Wall time of a normal step (submit to queue drained; the median), each timed just before a profiled one. */
  normalStepWallSeconds: number;
  rows: KernelTimeRow[];
  /** Every dispatch of the step in order: label, kernel, GPU µs (median). */
  dispatches: { label: string; kernel: string; microseconds: number }[];
}

const MATMUL_ROLES: [RegExp, string][] = [
  [/recurrent product t=/, 'matmul: recurrent forward (per t)'],
  [/recurrent state gradient t=/, 'matmul: recurrent backward (per t)'],
  [/weight gradient/, 'matmul: weight gradients (all T·B rows)'],
  [/^head$/, 'matmul: head forward (logits)'],
  [/from the head/, 'matmul: head state gradient (dL/dh)'],
  [/input projection/, 'matmul: input projection'],
  [/input gradient/, 'matmul: input gradient'],
];

const KERNEL_ROLES: [RegExp, string][] = [
  [/^rnnStepForward$/, 'RNN step (product + tanh) forward'],
  [/^rnnStepBackward$/, 'RNN step (product + tanh) backward'],
  [/^(lstm|gru)CellForward$/, 'cells forward'],
  [/^(lstm|gru)CellBackward$/, 'cells backward'],
  [/^(softmaxCrossEntropy|meanSquaredError|meanLoss)/, 'softmax / loss'],
  [/^(sumSquaresPartial|finishNorm|scaleGradients)$/, 'gradient norm, clip, guard'],
  [/^(adam|sgd|rmsprop)Update$/, 'optimizer update'],
  [/^columnSums$/, 'column sums (bias gradients)'],
  [/^embedding/, 'gather / scatter (token input)'],
  [/^dropout/, 'dropout'],
];

/** The role of a dispatch: matmuls by what the label says they compute, other kernels by kind. */
export function roleOf(label: string, kernel: string): string {
  if (kernel.startsWith('matmul')) return MATMUL_ROLES.find(([pattern]) => pattern.test(label))?.[1] ?? 'matmul: other';
  return KERNEL_ROLES.find(([pattern]) => pattern.test(kernel))?.[1] ?? 'other';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Profiles `steps` training steps on `batch` (each a real step: the model moves on) and groups their dispatches' GPU times. */
export async function profileKernelTimes(model: RnnModel, batch: Batch, steps: number): Promise<KernelTimes> {
  const device = model.context.device;
  const runs: DispatchTiming[][] = [];
  const walls: number[] = [];
  const normalWalls: number[] = [];
  for (let i = 0; i < steps; i++) {
    // A normal step first, timed under the same load as the profiled one after it.
    await device.queue.onSubmittedWorkDone();
    const normalStart = now();
    model.trainStep(batch);
    await device.queue.onSubmittedWorkDone();
    normalWalls.push(now() - normalStart);
    const start = now();
    const { dispatches } = await model.profileTrainStep(batch);
    walls.push(now() - start);
    runs.push(dispatches);
  }
  const first = runs[0];
  const dispatches = first.map(({ label, kernel }, index) => ({ label, kernel, seconds: median(runs.map((run) => run[index].nanoseconds)) / 1e9 }));
  const gpuSeconds = dispatches.reduce((sum, dispatch) => sum + dispatch.seconds, 0);
  const groups = new Map<string, KernelTimeRow>();
  for (const { label, kernel, seconds } of dispatches) {
    const role = roleOf(label, kernel);
    const key = `${role}\u0000${kernel}`;
    const row = groups.get(key) ?? { role, kernel, dispatches: 0, seconds: 0, fraction: 0 };
    row.dispatches++;
    row.seconds += seconds;
    groups.set(key, row);
  }
  const rows = [...groups.values()].sort((a, b) => b.seconds - a.seconds);
  for (const row of rows) row.fraction = row.seconds / gpuSeconds;
  const last = first[first.length - 1];
  return {
    profiledSteps: steps,
    gpuSeconds,
    gpuSpanSeconds: (last.startNanoseconds + last.nanoseconds) / 1e9,
    profiledStepWallSeconds: median(walls),
    normalStepWallSeconds: median(normalWalls),
    rows,
    dispatches: dispatches.map(({ label, kernel, seconds }) => ({ label, kernel, microseconds: seconds * 1e6 })),
  };
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ms = (seconds: number) => fixed(1000 * seconds, seconds < 0.01 ? 3 : 1);

/** The "GPU time per kernel" table of one config, with the sum against the step's wall time. */
export function kernelTimesTable(config: string, times: KernelTimes, stepSeconds: number): string {
  const header = [`GPU time per kernel, ${config}`, 'kernel', 'ms/step', '% of GPU sum', 'dispatches', 'µs/dispatch'];
  const cells = [
    header,
    ...times.rows.map((row) => [row.role, row.kernel, ms(row.seconds), `${fixed(100 * row.fraction, 1)}%`, String(row.dispatches), fixed((1e6 * row.seconds) / row.dispatches, 1)]),
    ['sum of the dispatches', '', ms(times.gpuSeconds), '100.0%', String(times.dispatches.length), fixed((1e6 * times.gpuSeconds) / times.dispatches.length, 1)],
  ];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    line(cells[0]),
    rule,
    ...cells.slice(1, -1).map(line),
    rule,
    line(cells[cells.length - 1]),
    `GPU sum ${ms(times.gpuSeconds)} ms = ${fixed((100 * times.gpuSeconds) / times.normalStepWallSeconds, 0)}% of a normal step's wall time beside it, ` +
      `${ms(times.normalStepWallSeconds)} ms (${fixed((100 * times.gpuSeconds) / stepSeconds, 0)}% of the timed steps' ${ms(stepSeconds)} ms); ` +
      `the profiled step${times.profiledSteps > 1 ? `s (median of ${times.profiledSteps})` : ''}, a pass per dispatch: GPU span ${ms(times.gpuSpanSeconds)} ms, wall ${ms(times.profiledStepWallSeconds)} ms`,
  ].join('\n');
}
