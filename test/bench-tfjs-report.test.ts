/**
 * The bench's TF.js comparison: the tf.layers model timed on a tiny config
 * (bench/tfjs-layers.ts), the GPU-buffer limit that turns a runaway TF.js
 * allocation into an "out of memory" result (bench/memory.ts), and the tables'
 * TF.js columns — the hand-written loop and the tf.layers model side by side, a
 * ratio where TF.js has a number, the reason where it has none (bench/report.ts);
 * ours and the loop timed in alternating rounds (bench/paired.ts).
 */
import { describe, expect, it } from 'vitest';
import { BufferLimitError, trackBuffers } from '../bench/memory.ts';
import { benchPaired } from '../bench/paired.ts';
import { cpuTable, isOutOfMemory, pairedTable, tfjsTable, trainingTable } from '../bench/report.ts';
import { benchTfjs, type TfjsRun } from '../bench/tfjs.ts';
import type { TrainingResult } from '../bench/training.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const TINY = { name: 'tiny-gru', cell: 'gru' as const, hidden: 8, batch: 2, timeSteps: 3 };
const ONE_STEP = { warmup: 1, steps: 1, variants: 1, minSeconds: 0 };

describe.each(TEST_ADAPTERS)('bench GPU-buffer limit on %s', (adapter) => {
  it('refuses a buffer that would pass the limit before allocating it, and counts live and peak bytes', async () => {
    const { device } = await contextFor(adapter);
    const create = device.createBuffer;
    const buffers = trackBuffers(device, 3000);
    try {
      const first = device.createBuffer({ size: 1024, usage: STORAGE });
      const second = device.createBuffer({ size: 1024, usage: STORAGE });
      expect(buffers.liveBytes()).toBe(2048);
      expect(() => device.createBuffer({ size: 1024, usage: STORAGE })).toThrow(BufferLimitError);
      expect(() => device.createBuffer({ size: 1024, usage: STORAGE })).toThrow(/^out of memory: .* the bench's limit/);
      expect(buffers.liveBytes()).toBe(2048);
      expect(buffers.peakBytes()).toBe(2048);
      first.destroy();
      expect(buffers.liveBytes()).toBe(1024);
      const third = device.createBuffer({ size: 1536, usage: STORAGE });
      expect(buffers.liveBytes()).toBe(2560);
      expect(buffers.peakBytes()).toBe(2560);
      second.destroy();
      third.destroy();
      expect(buffers.liveBytes()).toBe(0);
    } finally {
      buffers.stop();
    }
    expect(device.createBuffer).toBe(create);
  });

  it('times the tf.layers model on a tiny config: initial loss ≈ ln 65, counted dispatches and buffers', async () => {
    const run = await benchTfjs(adapter, [TINY], ONE_STEP, () => {}, 'layers');
    expect(run.error).toBeUndefined();
    const [result] = run.results;
    expect(result.error).toBeUndefined();
    expect(Math.abs(result.initialLoss! - Math.log(65))).toBeLessThan(0.2);
    expect(result.tokensPerSecond).toBeGreaterThan(0);
    expect(result.timedSteps).toBeGreaterThanOrEqual(1);
    // One trainOnBatch is hundreds of TF.js kernels, and it reads its loss back.
    expect(result.dispatchesPerStep).toBeGreaterThan(50);
    expect(result.submitsPerStep).toBeGreaterThanOrEqual(1);
    expect(result.buildGpuBytes).toBeGreaterThan(0);
    expect(result.gpuBytes).toBeGreaterThanOrEqual(result.buildGpuBytes!);
  });

  it('times ours and the TF.js loop in alternating rounds: a step time per round each, the ratio of the best rounds and the spread of the rounds’ ratios', async () => {
    const context = await contextFor(adapter);
    const run = await benchPaired(context, adapter, [TINY], 3, 0.05, () => {});
    expect(run.error).toBeUndefined();
    const [result] = run.results;
    expect(result.error).toBeUndefined();
    expect(result.oursStepSeconds).toHaveLength(3);
    expect(result.tfjsStepSeconds).toHaveLength(3);
    for (const seconds of [...result.oursStepSeconds, ...result.tfjsStepSeconds]) expect(seconds).toBeGreaterThan(0);
    expect(result.oursStepsPerRound).toBeGreaterThanOrEqual(1);
    expect(result.tfjsStepsPerRound).toBeGreaterThanOrEqual(1);
    const tokens = TINY.timeSteps * TINY.batch;
    expect(result.oursTokensPerSecond).toBeCloseTo(tokens / Math.min(...result.oursStepSeconds), 6);
    expect(result.tfjsTokensPerSecond).toBeCloseTo(tokens / Math.min(...result.tfjsStepSeconds), 6);
    expect(result.ratio).toBeCloseTo(result.oursTokensPerSecond / result.tfjsTokensPerSecond, 6);
    const ratios = result.oursStepSeconds.map((seconds, round) => result.tfjsStepSeconds[round] / seconds).sort((a, b) => a - b);
    expect([result.lowestRatio, result.medianRatio, result.highestRatio]).toEqual(ratios);
    const table = pairedTable(run);
    expect(table).toContain('ours vs TF.js loop, 3 alternating rounds');
    expect(table).toContain(`${result.ratio.toFixed(1)}x`);
  });

  it('reports a tf.layers config whose buffers pass the limit as out of memory, and goes on', async () => {
    const run = await benchTfjs(adapter, [TINY, { ...TINY, name: 'tiny-rnn', cell: 'rnn' }], ONE_STEP, () => {}, 'layers', 16 * 1024);
    expect(run.results.map((result) => result.config)).toEqual(['tiny-gru', 'tiny-rnn']);
    for (const result of run.results) {
      expect(result.error).toMatch(/out of memory: [\d.]+ KiB of GPU buffers live, one more of [\d.]+ KiB would pass the bench's limit of 16\.0 KiB$/);
      expect(isOutOfMemory(result.error!)).toBe(true);
    }
  });
});

describe('bench tables with the TF.js tf.layers model', () => {
  const ours = (name: string, tokensPerSecond: number): TrainingResult =>
    ({
      config: { name, cell: 'lstm', hidden: 8, batch: 2, timeSteps: 3 },
      stepsPerSecond: 1,
      tokensPerSecond,
      tokensPerCpuSecond: tokensPerSecond / 2,
      gflops: 1,
      fractionOfIsolatedMatmul: 1,
      dispatches: { total: 10 },
      submitsPerStep: 1,
    }) as unknown as TrainingResult;
  const results = [ours('a', 1000), ours('b', 1000), ours('c', 1000)];
  const loop: TfjsRun = {
    model: 'loop',
    description: 'loop',
    results: [
      { config: 'a', tokensPerSecond: 100, tokensPerCpuSecond: 50 },
      { config: 'b', tokensPerSecond: 200, tokensPerCpuSecond: 100 },
      { config: 'c', tokensPerSecond: 250, tokensPerCpuSecond: 125 },
    ],
  };
  const layers: TfjsRun = {
    model: 'layers',
    description: 'tf.sequential …',
    results: [
      { config: 'a', initialLoss: 4.17, stepSeconds: 0.5, tokensPerSecond: 40, tokensPerCpuSecond: 25, dispatchesPerStep: 1229, submitsPerStep: 82, gpuBytes: 2 ** 21, buildGpuBytes: 2 ** 20 },
      { config: 'b', error: "building the model (its initializers): out of memory: 8.0 GiB of GPU buffers live, one more of 16.0 MiB would pass the bench's limit of 8.0 GiB" },
      { config: 'c', error: 'initial loss NaN, expected ≈ ln 65' },
    ],
  };
  const rows = (text: string) => Object.fromEntries(text.split('\n').map((line) => [line.split(/\s{2,}/)[0], line.split(/\s{2,}/)]));

  it('prints ÷ TF.js layers beside ÷ TF.js, and why a config has no number', () => {
    const table = rows(trainingTable(results, loop, undefined, layers));
    const header = table.config;
    const ratio = header.indexOf('÷ TF.js layers');
    expect(ratio).toBe(header.indexOf('ours ÷ TF.js') + 2);
    expect(header[ratio - 1]).toBe('TF.js layers tok/s');
    expect(table.a.slice(ratio - 3, ratio + 1)).toEqual(['100', '10.0×', '40', '25.0×']);
    expect(table.b.slice(ratio - 3, ratio + 1)).toEqual(['200', '5.0×', 'out of memory', '–']);
    expect(table.c.slice(ratio - 3, ratio + 1)).toEqual(['250', '4.0×', 'failed', '–']);
    // Without the layers run the columns say it did not run.
    expect(rows(trainingTable(results, loop, undefined)).a.slice(ratio - 1, ratio + 1)).toEqual(['–', '–']);
  });

  it('gives the per-CPU-second ratio against each TF.js model', () => {
    const table = rows(cpuTable(results, loop, undefined, layers));
    const ratio = table['tokens per CPU-second'].indexOf('÷ TF.js layers');
    expect(table.a.slice(ratio - 3, ratio + 1)).toEqual(['50', '10.0×', '25', '20.0×']);
    expect(table.b[ratio - 1]).toBe('out of memory');
  });

  it('lists the layers model, its build memory and each failure with its reason', () => {
    const text = tfjsTable(layers);
    expect(text).toContain('TF.js tf.layers model');
    expect(text).toContain('of it once built');
    expect(rows(text).a.slice(-2)).toEqual(['2.0 MiB', '1.0 MiB']);
    expect(rows(text).b[1]).toBe('out of memory');
    expect(text).toContain("b: building the model (its initializers): out of memory: 8.0 GiB");
    expect(text).toContain('c: initial loss NaN');
    expect(isOutOfMemory(layers.results[2].error!)).toBe(false);
  });
});
