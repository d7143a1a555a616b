/** The bench's printed tables. */
import type { Ceilings } from './ceilings.ts';
import type { PairedRun } from './paired.ts';
import type { PytorchRun } from './pytorch.ts';
import type { TfjsResult, TfjsRun } from './tfjs.ts';
import type { TrainingResult } from './training.ts';

export interface MatmulRow {
  role: string;
  shape: string;
  gflops: number;
  fractionOfAlu: number;
  gflopsPerCpuSecond: number;
  /** GFLOP per CPU-second ÷ the ALU ceiling's (CPU adapters: robust to other load). */
  fractionOfAluPerCpuSecond: number;
  /** How KernelSet.matmul runs it: core, dispatches, workgroups per dispatch. */
  core: string;
  dispatches: number;
  workgroups: number;
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(cells[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const percent = (value: number) => `${fixed(100 * value, 0)}%`;
const ms = (seconds: number) => fixed(1000 * seconds, seconds < 0.01 ? 2 : 0);

export function ceilingsTable(ceilings: Ceilings): string {
  return table(
    ['adapter ceiling', 'value'],
    [
      ['ALU (vec4 FMA chains)', `${fixed(ceilings.aluGflops, 2)} GFLOP/s`],
      ['ALU per CPU-second of this process', `${fixed(ceilings.aluGflopsPerCpuSecond, 2)} GFLOP/CPU-s`],
      ['f32 streaming loads', `${fixed(ceilings.loadsPerSecondG, 3)} G loads/s = ${fixed(ceilings.loadGBps, 2)} GB/s`],
      ['vec4 streaming loads', `${fixed(ceilings.vec4LoadsPerSecondG, 3)} G loads/s = ${fixed(ceilings.vec4LoadGBps, 2)} GB/s`],
      ['per dispatch (in one pass)', `${fixed(ceilings.dispatchSeconds * 1e6, 1)} µs`],
      ['per submit + onSubmittedWorkDone', `${fixed(ceilings.submitRoundTripSeconds * 1e6, 0)} µs`],
    ],
  );
}

export function matmulTable(rows: MatmulRow[]): string {
  return table(
    ['our matmul on', 'M×K×N', 'GFLOP/s', 'of ALU', 'GFLOP/CPU-s', 'of ALU/CPU-s', 'core', 'dispatches × workgroups'],
    rows.map((row) => [
      row.role,
      row.shape,
      fixed(row.gflops, 2),
      percent(row.fractionOfAlu),
      fixed(row.gflopsPerCpuSecond, 2),
      percent(row.fractionOfAluPerCpuSecond),
      row.core,
      `${row.dispatches} × ${row.workgroups}`,
    ]),
  );
}

/** A TF.js cell: its number formatted, or why it has none ('out of memory', 'failed'), or '–' where it did not run. */
function tfjsCell(entry: TfjsResult | undefined, value: (entry: TfjsResult) => number | undefined, format: (value: number) => string = (value) => fixed(value, 0)): string {
  const number = entry ? value(entry) : undefined;
  if (number !== undefined) return format(number);
  return entry?.error ? (isOutOfMemory(entry.error) ? 'out of memory' : 'failed') : '–';
}

/** Ours ÷ TF.js's: its tokens/s over theirs, '–' where TF.js has no number. */
function ratio(ours: number, theirs: number | undefined, digits = 1): string {
  return theirs !== undefined ? `${fixed(ours / theirs, digits)}×` : '–';
}

export function isOutOfMemory(error: string): boolean {
  return /out of memory|OutOfMemory|allocation failed|Array buffer allocation/i.test(error);
}

function resultOf<R extends { config: string }>(run: { results: R[] } | undefined, config: string): R | undefined {
  return run?.results.find((entry) => entry.config === config);
}

export function trainingTable(results: TrainingResult[], tfjs: TfjsRun | undefined, pytorch: PytorchRun | undefined, tfjsLayers?: TfjsRun): string {
  return table(
    ['config', 'steps/s', 'tokens/s', 'GFLOP/s', 'vs matmul', 'dispatches', 'submits', 'TF.js tok/s', 'ours ÷ TF.js', 'TF.js layers tok/s', '÷ TF.js layers', 'PyTorch CPU tok/s', 'ours ÷ PyTorch'],
    results.map((result) => {
      const other = resultOf(tfjs, result.config.name);
      const layers = resultOf(tfjsLayers, result.config.name);
      const native = resultOf(pytorch, result.config.name);
      return [
        result.config.name,
        fixed(result.stepsPerSecond, 3),
        fixed(result.tokensPerSecond, 0),
        fixed(result.gflops, 2),
        percent(result.fractionOfIsolatedMatmul),
        result.dispatches.total,
        fixed(result.submitsPerStep, 1),
        tfjsCell(other, (entry) => entry.tokensPerSecond),
        ratio(result.tokensPerSecond, other?.tokensPerSecond),
        tfjsCell(layers, (entry) => entry.tokensPerSecond),
        ratio(result.tokensPerSecond, layers?.tokensPerSecond),
        native?.tokensPerSecond !== undefined ? fixed(native.tokensPerSecond, 0) : native?.error ? 'failed' : '–',
        ratio(result.tokensPerSecond, native?.tokensPerSecond, 2),
      ];
    }),
  );
}

/** Ours and TF.js's loop timed in alternating rounds (paired.ts): the best rounds and the spread of the rounds' ratios. */
export function pairedTable(run: PairedRun): string {
  const title = `ours vs TF.js loop, ${run.rounds} alternating rounds`;
  if (run.error) return `${title}: ${run.error}`;
  const rows = run.results.map((result) =>
    result.error
      ? [result.config, isOutOfMemory(result.error) ? 'out of memory' : 'failed', '', '', '', '']
      : [
          result.config,
          `${result.oursStepsPerRound} / ${result.tfjsStepsPerRound}`,
          fixed(result.oursTokensPerSecond, 0),
          fixed(result.tfjsTokensPerSecond, 0),
          `${fixed(result.ratio, 1)}x`,
          `${fixed(result.lowestRatio, 1)} / ${fixed(result.medianRatio, 1)} / ${fixed(result.highestRatio, 1)}`,
        ],
  );
  const errors = run.results.filter((result) => result.error).map((result) => `${result.config}: ${result.error!.split('\n')[0].slice(0, 300)}`);
  return [
    table([title, 'steps per window (ours / TF.js)', 'ours tok/s (best round)', 'TF.js tok/s (best round)', 'ours ÷ TF.js', 'per round: lowest / median / highest'], rows),
    'Each round times a window of our steps and one of TF.js\'s of about the same length, the order alternating.',
    ...errors,
  ].join('\n');
}

export function profileTable(results: TrainingResult[]): string {
  return table(
    ['ms per step', 'step', 'forward', 'loss+bwd', 'update', 'fixed', 'rec. matmuls', 'batched matmuls', 'other'],
    results.map(({ config, stepSeconds, profile: p }) => [
      config.name,
      ms(stepSeconds),
      ms(p.forwardSeconds),
      ms(p.lossAndBackwardSeconds),
      ms(p.updateSeconds),
      ms(p.fixedPerStepSeconds),
      `${ms(p.recurrentMatmulSeconds)} (${percent(p.recurrentMatmulSeconds / stepSeconds)})`,
      `${ms(p.batchedMatmulSeconds)} (${percent(p.batchedMatmulSeconds / stepSeconds)})`,
      `${ms(p.otherSeconds)} (${percent(p.otherSeconds / stepSeconds)})`,
    ]),
  );
}

export function tfjsTable(run: TfjsRun): string {
  const title = run.model === 'layers' ? 'TF.js tf.layers model (webgpu backend)' : 'TF.js hand-written loop (webgpu backend)';
  if (run.error) return `${title}: ${run.error}`;
  const rows = run.results.map((result) =>
    result.error
      ? [result.config, isOutOfMemory(result.error) ? 'out of memory' : 'failed', '', '', '', '', '', '', ...(run.model === 'layers' ? [''] : [])]
      : [
          result.config,
          fixed(result.initialLoss!, 3),
          ms(result.stepSeconds!),
          fixed(result.tokensPerSecond!, 0),
          fixed(result.tokensPerCpuSecond!, 0),
          fixed(result.dispatchesPerStep!, 0),
          fixed(result.submitsPerStep!, 1),
          mib(result.gpuBytes),
          ...(run.model === 'layers' ? [mib(result.buildGpuBytes)] : []),
        ],
  );
  const errors = run.results.filter((result) => result.error).map((result) => `${result.config}: ${result.error!.split('\n')[0].slice(0, 300)}`);
  const header = [title, 'initial loss', 'ms/step', 'tokens/s', 'tokens/CPU-s', 'dispatches', 'submits', 'GPU buffers (peak)', ...(run.model === 'layers' ? ['of it once built'] : [])];
  return [table(header, rows), `model: ${run.description}`, ...errors].join('\n');
}

const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${fixed(bytes / 2 ** 20, 1)} MiB`);

/** GPU memory of a step: ours (peak of the buffers the model created through its first steps) beside TF.js's (peak of the buffers its backend created for the config). */
export function memoryTable(results: TrainingResult[], tfjs: TfjsRun | undefined, tfjsLayers?: TfjsRun): string {
  return table(
    ['GPU memory', 'ours', 'bytes/parameter', 'bytes/token', 'TF.js', 'TF.js bytes/parameter', 'TF.js bytes/token', 'TF.js layers', 'layers bytes/token'],
    results.map((result) => {
      const other = resultOf(tfjs, result.config.name);
      const layers = resultOf(tfjsLayers, result.config.name);
      const parameters = result.gpuBytes / result.gpuBytesPerParameter;
      const tokens = result.gpuBytes / result.gpuBytesPerToken;
      const bytes = (entry: TfjsResult) => entry.gpuBytes;
      return [
        result.config.name,
        mib(result.gpuBytes),
        fixed(result.gpuBytesPerParameter, 1),
        fixed(result.gpuBytesPerToken, 0),
        tfjsCell(other, bytes, mib),
        other?.gpuBytes !== undefined ? fixed(other.gpuBytes / parameters, 1) : '–',
        other?.gpuBytes !== undefined ? fixed(other.gpuBytes / tokens, 0) : '–',
        tfjsCell(layers, bytes, mib),
        layers?.gpuBytes !== undefined ? fixed(layers.gpuBytes / tokens, 0) : '–',
      ];
    }),
  );
}

export function pytorchTable(run: PytorchRun): string {
  if (run.error) return run.error;
  return table(
    [`PyTorch ${run.torch} CPU, ${run.threads} threads (the same silicon, natively)`, 'initial loss', 'ms/step', 'tokens/s'],
    run.results.map((result) =>
      result.error ? [result.config, `failed: ${result.error.slice(0, 80)}`, '', ''] : [result.config, fixed(result.initialLoss!, 3), ms(result.stepSeconds!), fixed(result.tokensPerSecond!, 0)],
    ),
  );
}

/** Work per CPU-second: on a CPU adapter every side's work runs on this machine's cores, so these ratios hold under other load. */
export function cpuTable(results: TrainingResult[], tfjs: TfjsRun | undefined, pytorch: PytorchRun | undefined, tfjsLayers?: TfjsRun): string {
  return table(
    ['tokens per CPU-second', 'ours', 'TF.js', 'ours ÷ TF.js', 'TF.js layers', '÷ TF.js layers', 'PyTorch CPU', 'ours ÷ PyTorch'],
    results.map((result) => {
      const other = resultOf(tfjs, result.config.name);
      const layers = resultOf(tfjsLayers, result.config.name);
      const native = resultOf(pytorch, result.config.name)?.tokensPerCpuSecond;
      return [
        result.config.name,
        fixed(result.tokensPerCpuSecond, 0),
        tfjsCell(other, (entry) => entry.tokensPerCpuSecond),
        ratio(result.tokensPerCpuSecond, other?.tokensPerCpuSecond),
        tfjsCell(layers, (entry) => entry.tokensPerCpuSecond),
        ratio(result.tokensPerCpuSecond, layers?.tokensPerCpuSecond),
        native !== undefined ? fixed(native, 0) : '–',
        ratio(result.tokensPerCpuSecond, native, 2),
      ];
    }),
  );
}
