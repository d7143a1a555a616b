/**
 * Ours and TF.js's hand-written loop (tfjs.ts) on the same config, timed in
 * alternating rounds: each round times a window of our training steps and one of
 * TF.js's of about the same length, the order alternating (ours first in even
 * rounds), so that a change of the machine's load (shared CPU cores behind a CPU
 * adapter) falls on both sides alike. The phases of run.ts time ours and TF.js
 * minutes apart, where a load that comes and goes moves their ratio by up to 1.5x;
 * here each round gives its own ratio, and the result is the ratio of the best
 * rounds (the bench's "best chunk" rule on both sides) with the spread of the
 * per-round ratios beside it.
 */
import { type AdapterPreference, type GpuContext, RnnModel } from '../src/index.ts';
import { type BenchConfig, LEARNING_RATE, VOCABULARY } from './configs.ts';
import { firstSteps, loopModel, startTfjs } from './tfjs.ts';
import { now } from './timing.ts';
import { randomBatch } from './training.ts';

export interface PairedResult {
  config: string;
  /** Seconds per step in each round, ours and TF.js's (the same rounds, in order). */
  oursStepSeconds: number[];
  tfjsStepSeconds: number[];
  /** Steps per window: ours, TF.js's (windows of about the same length). */
  oursStepsPerRound: number;
  tfjsStepsPerRound: number;
  /** Tokens per second of the best round of each. */
  oursTokensPerSecond: number;
  tfjsTokensPerSecond: number;
  /** Ours ÷ TF.js: of the best rounds, and the lowest, median and highest of the rounds' own ratios. */
  ratio: number;
  lowestRatio: number;
  medianRatio: number;
  highestRatio: number;
  /** Why this config did not run. */
  error?: string;
}

export interface PairedRun {
  rounds: number;
  /** Why TF.js could not run on this adapter at all. */
  error?: string;
  results: PairedResult[];
}

/** Steps in a window of about `seconds` for a step of `stepSeconds` (at least one). */
function stepsFor(seconds: number, stepSeconds: number): number {
  return Math.max(1, Math.round(seconds / stepSeconds));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Per config: TF.js's loop model (its first loss checked, as in tfjs.ts) and our model, each after
 * an untimed first step; one warm step of each sets the windows (TF.js's: about `windowSeconds`, at
 * least one step; ours: as long as TF.js's); then `rounds` rounds of the two windows.
 */
export async function benchPaired(
  ours: GpuContext,
  tfjsAdapter: AdapterPreference,
  configs: BenchConfig[],
  rounds: number,
  windowSeconds: number,
  log: (line: string) => void,
): Promise<PairedRun> {
  let session;
  try {
    session = await startTfjs(tfjsAdapter);
  } catch (error) {
    return { rounds, error: `TF.js could not start on this adapter: ${message(error)}`, results: [] };
  }
  const results: PairedResult[] = [];
  try {
    for (const config of configs) {
      log(`  paired ${config.name} …`);
      try {
        await session.startBackend();
        results.push(await pairConfig(ours, session.tf, config, rounds, windowSeconds));
        session.context.throwIfFaulted();
        ours.throwIfFaulted();
      } catch (error) {
        results.push({ config: config.name, error: message(error) } as PairedResult);
        log(`  paired ${config.name} failed: ${message(error)}`);
        if (/device was lost|WebGPU error/.test(message(error))) break;
      }
    }
  } finally {
    session.stop();
  }
  return { rounds, results };
}

async function pairConfig(context: GpuContext, tf: Parameters<typeof loopModel>[0], config: BenchConfig, rounds: number, windowSeconds: number): Promise<PairedResult> {
  const theirs = loopModel(tf, config);
  const model = await RnnModel.create(context, { cell: config.cell, vocabularySize: VOCABULARY, hiddenSize: config.hidden, seed: 1, optimizer: { type: 'adam', learningRate: LEARNING_RATE } });
  try {
    const batch = randomBatch(config);
    const tokens = config.timeSteps * config.batch;
    // A window of n steps queued back to back, timed until the last one finished.
    const oursWindow = async (steps: number) => {
      await context.device.queue.onSubmittedWorkDone();
      const start = now();
      for (let i = 0; i < steps; i++) model.trainStep(batch);
      await context.device.queue.onSubmittedWorkDone();
      return (now() - start) / steps;
    };
    const tfjsWindow = async (steps: number) => {
      const start = now();
      let last;
      for (let i = 0; i < steps; i++) {
        last?.dispose();
        last = theirs.step();
      }
      await last!.data();
      last!.dispose();
      return (now() - start) / steps;
    };
    // First steps (pipelines, plans) untimed, then one warm step of each sets the windows.
    await firstSteps(theirs, 1);
    const loss = await model.trainStep(batch).loss();
    if (!(Math.abs(loss - Math.log(VOCABULARY)) < 0.2)) throw new Error(`our initial loss ${loss}, expected ≈ ln ${VOCABULARY}: not timing real work`);
    const tfjsStep = await tfjsWindow(1);
    const tfjsSteps = stepsFor(windowSeconds, tfjsStep);
    const oursSteps = stepsFor(tfjsSteps * tfjsStep, await oursWindow(1));
    const oursStepSeconds: number[] = [];
    const tfjsStepSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        oursStepSeconds.push(await oursWindow(oursSteps));
        tfjsStepSeconds.push(await tfjsWindow(tfjsSteps));
      } else {
        tfjsStepSeconds.push(await tfjsWindow(tfjsSteps));
        oursStepSeconds.push(await oursWindow(oursSteps));
      }
    }
    const ratios = oursStepSeconds.map((seconds, round) => tfjsStepSeconds[round] / seconds);
    const oursBest = Math.min(...oursStepSeconds);
    const tfjsBest = Math.min(...tfjsStepSeconds);
    return {
      config: config.name,
      oursStepSeconds,
      tfjsStepSeconds,
      oursStepsPerRound: oursSteps,
      tfjsStepsPerRound: tfjsSteps,
      oursTokensPerSecond: tokens / oursBest,
      tfjsTokensPerSecond: tokens / tfjsBest,
      ratio: tfjsBest / oursBest,
      lowestRatio: Math.min(...ratios),
      medianRatio: median(ratios),
      highestRatio: Math.max(...ratios),
    };
  } finally {
    theirs.dispose();
    model.dispose();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
