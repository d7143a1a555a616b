/** The bench's printed tables. */
import type { Ceilings } from './ceilings.ts';
import type { TfjsRun } from './tfjs.ts';
import type { TrainingResult } from './training.ts';

export interface MatmulRow {
  role: string;
  shape: string;
  gflops: number;
  fractionOfAlu: number;
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
      ['f32 streaming loads', `${fixed(ceilings.loadsPerSecondG, 3)} G loads/s = ${fixed(ceilings.loadGBps, 2)} GB/s`],
      ['vec4 streaming loads', `${fixed(ceilings.vec4LoadsPerSecondG, 3)} G loads/s = ${fixed(ceilings.vec4LoadGBps, 2)} GB/s`],
      ['per dispatch (in one pass)', `${fixed(ceilings.dispatchSeconds * 1e6, 1)} µs`],
      ['per submit + onSubmittedWorkDone', `${fixed(ceilings.submitRoundTripSeconds * 1e6, 0)} µs`],
    ],
  );
}

export function matmulTable(rows: MatmulRow[]): string {
  return table(
    ['our matmul on', 'M×K×N', 'GFLOP/s', 'of ALU'],
    rows.map((row) => [row.role, row.shape, fixed(row.gflops, 2), percent(row.fractionOfAlu)]),
  );
}

export function trainingTable(results: TrainingResult[], tfjs: TfjsRun | undefined): string {
  return table(
    ['config', 'steps/s', 'tokens/s', 'GFLOP/s', 'vs matmul', 'dispatches', 'submits', 'TF.js tok/s', 'ours ÷ TF.js'],
    results.map((result) => {
      const other = tfjs?.results.find((entry) => entry.config === result.config.name);
      return [
        result.config.name,
        fixed(result.stepsPerSecond, 3),
        fixed(result.tokensPerSecond, 0),
        fixed(result.gflops, 2),
        percent(result.fractionOfIsolatedMatmul),
        result.dispatches.total,
        fixed(result.submitsPerStep, 1),
        other?.tokensPerSecond !== undefined ? fixed(other.tokensPerSecond, 0) : other?.error ? 'failed' : '–',
        other?.tokensPerSecond !== undefined ? `${fixed(result.tokensPerSecond / other.tokensPerSecond, 1)}×` : '–',
      ];
    }),
  );
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
  if (run.error) return `TF.js: ${run.error}`;
  return table(
    ['TF.js (webgpu backend)', 'initial loss', 'ms/step', 'tokens/s', 'dispatches', 'submits'],
    run.results.map((result) =>
      result.error
        ? [result.config, `failed: ${result.error.slice(0, 80)}`, '', '', '', '']
        : [result.config, fixed(result.initialLoss!, 3), ms(result.stepSeconds!), fixed(result.tokensPerSecond!, 0), fixed(result.dispatchesPerStep!, 0), fixed(result.submitsPerStep!, 1)],
    ),
  );
}
