/**
 * PyTorch on the CPU, side by side: the same training step (bench/pytorch_step.py) on
 * the same cores, "the same silicon, natively". Runs /usr/bin/python3 (or
 * $WEBGPU_RNN_PYTHON) when it has torch; otherwise says so and the bench goes on.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { type BenchConfig, LEARNING_RATE, VOCABULARY } from './configs.ts';
import type { Repetitions } from './training.ts';

export interface PytorchResult {
  config: string;
  initialLoss?: number;
  stepSeconds?: number;
  meanStepSeconds?: number;
  tokensPerSecond?: number;
  /** Tokens per CPU-second of the Python process (all its threads). */
  tokensPerCpuSecond?: number;
  error?: string;
}

export interface PytorchRun {
  python: string;
  /** torch version and intra-op threads, when it ran. */
  torch?: string;
  threads?: number;
  results: PytorchResult[];
  /** Why nothing ran (no python, no torch). */
  error?: string;
}

export const PYTHON = process.env.WEBGPU_RNN_PYTHON || '/usr/bin/python3';

export function benchPytorch(configs: BenchConfig[], repetitions: Repetitions, log: (line: string) => void): PytorchRun {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    return { python: PYTHON, results: [], error: `PyTorch not run: ${PYTHON} with torch is not available (${why}); install Debian's python3-torch` };
  }
  // As many intra-op threads as the adapter's CPU has cores (llvmpipe and SwiftShader use them all).
  const threads = availableParallelism();
  const input = configs.map((config) => ({
    name: config.name,
    cell: config.cell,
    hidden: config.hidden,
    batch: config.batch,
    timeSteps: config.timeSteps,
    vocabulary: VOCABULARY,
    learningRate: LEARNING_RATE,
    warmup: repetitions.warmup,
    steps: repetitions.steps,
    minSeconds: repetitions.minSeconds,
    threads,
  }));
  log(`PyTorch (${threads} threads) …`);
  const run = spawnSync(PYTHON, [resolve('bench/pytorch_step.py')], { input: JSON.stringify(input), encoding: 'utf8', timeout: 3_600_000, maxBuffer: 1 << 24 });
  const lines = (run.stdout ?? '').split('\n').filter((line) => line.trim().startsWith('{')).map((line) => JSON.parse(line));
  const header = lines.shift() as { torch: string; threads: number } | undefined;
  const results: PytorchResult[] = configs.map((config) => {
    const line = lines.find((entry) => entry.name === config.name);
    if (!line) return { config: config.name, error: (run.stderr ?? '').trim().split('\n').pop() || `python exited with ${run.status}` };
    return { config: config.name, initialLoss: line.initialLoss, stepSeconds: line.stepSeconds, meanStepSeconds: line.meanStepSeconds, tokensPerSecond: (config.timeSteps * config.batch) / line.stepSeconds, tokensPerCpuSecond: (config.timeSteps * config.batch) / line.cpuSeconds };
  });
  return { python: PYTHON, torch: header?.torch, threads: header?.threads, results };
}
