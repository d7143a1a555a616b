/**
 * Runs of the step: sets each run up (its inputs, loss slot, dropout masks, the
 * optimizer's values for this step, where its states come from and go to), has its
 * plan record it (sequence-plan.ts) and submits it; keeps the counters that place a
 * model in its training and the losses and gradient norms on the GPU until asked for,
 * and reads back what the latest run left (final states, state gradients, hidden states).
 */
import { checkScheduledLearningRate } from './options.ts';
import { readFloats, readWords } from '../device/buffers.ts';
import type { GpuContext } from '../device/gpu-context.ts';
import { DispatchProfiler, type DispatchTiming } from '../kernels/dispatch-profiler.ts';
import { dropoutBetweenLayers, GUARD_SKIPPED_STEPS, type KernelSet } from '../kernels/kernel-set.ts';
import { InvalidArgumentError, rejectUnknownKeys } from '../validation.ts';
import { type SequenceBatch, validateBatch, type ValidatedBatch } from './batch.ts';
import type { ResolvedConfig } from './config.ts';
import { dropoutKey } from './dropout.ts';
import { LOSS_HISTORY_LENGTH, type ModelBuffers } from './model-buffers.ts';
import type { TrainingCounters } from './model-io.ts';
import { optimizerStepValues, scheduledLearningRate } from './optimizer.ts';
import type { ParameterLayout } from './parameter-layout.ts';
import { PlanCache } from './plan-cache.ts';
import type { SequencePlan, StepPart } from './sequence-plan.ts';
import type { InitialStates } from './state-streams.ts';

/** A training step's loss or gradients were not finite (its update was skipped on the GPU). */
export class NonFiniteStepError extends Error {
  readonly step: number;

  constructor(step: number, loss: number) {
    super(
      `Step ${step} had a non-finite ${Number.isFinite(loss) ? 'gradient' : `loss (${loss})`}; its update was skipped and the parameters are those before it. ` +
        'Lower the learning rate, clip the gradients (clipGradientNorm), or check the inputs.',
    );
    this.name = 'NonFiniteStepError';
    this.step = step;
  }
}

/** What a step returns: its index, and its mean loss when asked for. */
export interface StepResult {
  /** 1-based index of the optimizer step (0 for a gradients-only pass). */
  readonly step: number;
  /** The step's mean loss (cross-entropy in nats, or the mean squared error), read from the GPU on demand. */
  loss(): Promise<number>;
  /**
   * The global L2 norm of the gradients, √(Σ g²): in a training step before any
   * clipping; in computeGradients of the gradients it leaves (nothing is clipped).
   * Not in evaluate, which computes no gradients.
   */
  gradientNorm(): Promise<number>;
}

/** The first dropout run index of gradients-only passes (training steps count from 0). */
const GRADIENT_PASS_RUNS = 2 ** 31;

export class StepRunner {
  readonly plans: PlanCache;
  /** Optimizer steps taken, dropout draws (training steps, gradients-only passes), runs that wrote a loss (the history slot). */
  readonly counters: TrainingCounters = { optimizerStep: 0, trainingRuns: 0, lossWrites: 0, gradientPasses: 0 };
  /** The latest run's plan, and the latest with a backward pass. */
  lastPlan: SequencePlan | undefined;
  lastTrainingPlan: SequencePlan | undefined;
  /** Whether a backward pass has run (the gradient buffer holds a step's gradients). */
  gradientsWritten = false;
  /** The dropout keys of the latest run with a backward pass and the elements each mask covers. */
  lastDropout: { keys: number[]; count: number } = { keys: [], count: 0 };
  private readonly context: GpuContext;
  private readonly device: GPUDevice;
  private readonly config: Readonly<ResolvedConfig>;
  private readonly layout: ParameterLayout;
  private readonly buffers: ModelBuffers;
  /** Throws when the model was disposed or its device faulted. */
  private readonly checkUsable: () => void;

  constructor(context: GpuContext, kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, buffers: ModelBuffers, checkUsable: () => void) {
    this.context = context;
    this.device = kernels.device;
    this.config = config;
    this.layout = layout;
    this.buffers = buffers;
    this.checkUsable = checkUsable;
    this.plans = new PlanCache(kernels, config, layout, buffers, (evicted) => {
      if (this.lastPlan === evicted) this.lastPlan = undefined;
      if (this.lastTrainingPlan === evicted) this.lastTrainingPlan = undefined;
    });
  }

  /** A run that computes a loss (trainStep, computeGradients, evaluate) on stream `stream`. */
  run(batch: SequenceBatch, parts: StepPart[], stream: string, profiler?: DispatchProfiler): StepResult {
    const validated = validateBatch(batch, this.config, true);
    const updating = parts.includes('update');
    const step = updating ? this.counters.optimizerStep + 1 : 0;
    if (updating) checkScheduledLearningRate(step, this.learningRateAt(step));
    const lossIndex = this.counters.lossWrites;
    this.submit(validated, parts, { stream, step, lossSlot: lossIndex % LOSS_HISTORY_LENGTH, profiler });
    if (updating) this.counters.optimizerStep = step;
    this.counters.lossWrites++;
    const gradientNorm = () =>
      parts.includes('backward')
        ? this.readHistory(this.buffers.normHistory, lossIndex, 'gradient norm')
        : Promise.reject(new Error('evaluate computes no gradients: the gradient norm comes with trainStep and computeGradients.'));
    const loss = async () => {
      const value = await this.readHistory(this.buffers.lossHistory, lossIndex, 'loss');
      if (updating && this.config.onNonFinite === 'error' && !(Number.isFinite(value) && Number.isFinite(await gradientNorm()))) {
        throw new NonFiniteStepError(step, value);
      }
      return value;
    };
    return { step, loss, gradientNorm };
  }

  /** A run (as `run`) with every dispatch timed on the GPU in a pass of its own (profiling only; needs 'timestamp-query'). */
  async profile(batch: SequenceBatch, parts: StepPart[], stream: string): Promise<{ step: StepResult; dispatches: DispatchTiming[] }> {
    const profiler = new DispatchProfiler(this.device, 'step profile');
    let step: StepResult;
    try {
      step = this.run(batch, parts, stream, profiler);
    } catch (error) {
      profiler.destroy();
      throw error;
    }
    const dispatches = await profiler.read();
    this.context.throwIfFaulted();
    return { step, dispatches };
  }

  /** Runs `parts` of the step on one batch: sets the run up, has its plan record it, and submits it. */
  submit(batch: ValidatedBatch, parts: StepPart[], run: { stream: string; step?: number; lossSlot?: number; profiler?: DispatchProfiler }): SequencePlan {
    this.checkUsable();
    const streams = this.buffers.streams;
    const B = batch.batchSize;
    // A refused 'carry' is refused before anything is allocated.
    const initialStates: InitialStates =
      batch.initialHidden === 'carry'
        ? { from: 'carry', stream: streams.carried(run.stream, B), resetRows: batch.resetRows }
        : batch.initialHidden || batch.initialCell
          ? { from: 'given', hidden: batch.initialHidden, cell: batch.initialCell }
          : { from: 'zero' };
    const training = parts.includes('backward');
    // Forward-only runs use evaluation plans: no gradient buffers, nothing recorded past the loss.
    const plan = this.plans.planFor(batch.timeSteps, B, training ? 'train' : 'evaluate');
    const step = run.step ?? 0;
    plan.setRun(batch, parts, {
      lossSlot: run.lossSlot,
      dropout: this.dropoutFor(training ? (parts.includes('update') ? 'training' : 'gradients') : 'evaluation', batch.timeSteps * B * this.config.directions * this.config.hiddenSize),
      optimizerValues: parts.includes('update') ? optimizerStepValues(this.config.optimizer, step, this.learningRateAt(step), this.layout.totalLength) : undefined,
    });
    const label = `run T=${batch.timeSteps} B=${B}`;
    const encoder = this.device.createCommandEncoder({ label });
    plan.record(encoder, { parts, initialStates, finalStates: streams.target(run.stream, B), lengths: batch.lengths, label, profiler: run.profiler });
    run.profiler?.resolve(encoder);
    this.device.queue.submit([encoder.finish()]);
    this.lastPlan = plan;
    if (plan.mode === 'train') {
      this.lastTrainingPlan = plan;
      this.gradientsWritten = true;
    }
    return plan;
  }

  /** The learning rate step t (from 1) uses: the base rate under the schedule. */
  learningRateAt(step: number): number {
    return scheduledLearningRate(this.config.schedule, this.config.optimizer.learningRate, step);
  }

  /**
   * The dropout masks of a run (models with dropout between layers): fresh keys for each
   * training step; gradients-only passes draw theirs from a sequence of their own (run
   * indices from 2³¹ up), so that they leave the masks of the training steps after them
   * as they were; evaluation uses every unit (p = 0).
   */
  private dropoutFor(kind: 'training' | 'gradients' | 'evaluation', count: number): { keys: number[]; probability: number } | undefined {
    if (!dropoutBetweenLayers(this.config)) return undefined;
    const run = kind === 'gradients' ? (GRADIENT_PASS_RUNS + this.counters.gradientPasses) >>> 0 : this.counters.trainingRuns;
    const keys = Array.from({ length: this.config.layers - 1 }, (_, k) => dropoutKey(this.config.seed, run, k));
    if (kind === 'evaluation') return { keys, probability: 0 };
    this.lastDropout = { keys, count };
    if (kind === 'training') this.counters.trainingRuns++;
    else this.counters.gradientPasses++;
    return { keys, probability: this.config.dropout };
  }

  /** One run's value (loss or gradient norm) from its history buffer. */
  private async readHistory(history: GPUBuffer, runIndex: number, what: string): Promise<number> {
    this.checkUsable();
    if (this.counters.lossWrites - runIndex > LOSS_HISTORY_LENGTH) {
      throw new Error(`The ${what} of run ${runIndex} is no longer held: only the last ${LOSS_HISTORY_LENGTH} runs' values stay on the GPU.`);
    }
    const [value] = await readFloats(this.device, history, runIndex % LOSS_HISTORY_LENGTH, 1);
    this.context.throwIfFaulted();
    return value;
  }

  /** The final states the latest run left on its stream, whichever kind of run it was: [L·directions, B, H]. */
  async readFinalStates(which: 'hidden' | 'cell'): Promise<Float32Array> {
    this.checkUsable();
    const latest = this.buffers.streams.latest;
    if (!latest) throw new Error('No run yet: there are no final states to read.');
    return readFloats(this.device, latest[which]!, 0, this.config.layers * this.config.directions * latest.batchSize * this.config.hiddenSize);
  }

  /** dL/dh_{−1} (and dL/dc_{−1}) of the latest backward pass. */
  async readInitialStateGradients(): Promise<{ hidden: Float32Array; cell?: Float32Array }> {
    this.checkUsable();
    const plan = this.lastTrainingPlan;
    if (!plan) throw new Error('No backward pass yet: there are no state gradients to read.');
    return plan.readInitialStateGradients();
  }

  /** The latest run's top-layer hidden states [T+1, B, H] (its forward direction's). */
  async readHiddenStates(): Promise<Float32Array> {
    this.checkUsable();
    const plan = this.lastPlan;
    if (!plan) throw new Error('No run yet: there are no hidden states to read.');
    return readFloats(this.device, plan.topLayer.hiddenStates, 0, (plan.timeSteps + 1) * plan.batchSize * this.config.hiddenSize);
  }

  /** Training steps whose update the non-finite guard skipped. */
  async readSkippedSteps(): Promise<number> {
    this.checkUsable();
    const [skipped] = new Uint32Array(await readWords(this.device, this.buffers.guard, GUARD_SKIPPED_STEPS, 1));
    return skipped;
  }

  /** Losses of `count` consecutive runs from run `first`, in one readback. */
  async readLossHistory(first: number, count: number): Promise<Float32Array> {
    this.checkUsable();
    if (this.counters.lossWrites - first > LOSS_HISTORY_LENGTH) {
      throw new Error(`Only the last ${LOSS_HISTORY_LENGTH} runs' losses stay on the GPU; an epoch of ${count} steps needs progressEvery reads or fewer steps.`);
    }
    const all = await readFloats(this.device, this.buffers.lossHistory, 0, LOSS_HISTORY_LENGTH);
    return Float32Array.from({ length: count }, (_, i) => all[(first + i) % LOSS_HISTORY_LENGTH]);
  }
}

/**
 * Options of a run. `stream` names the state stream the run continues from with
 * `initialHidden: 'carry'` and leaves its final states on. Each kind of run has its
 * own stream by default (DEFAULT_STREAMS), so validation, prediction or generation
 * between training chunks leave training's carried state as it was; runs given the
 * same name continue each other (e.g. consecutive predict calls on { stream: 'p' }).
 */
export interface RunOptions {
  stream?: string;
}

const RUN_OPTION_KEYS: readonly (keyof RunOptions)[] = ['stream'];

/**
 * The state stream each kind of run uses unless told otherwise. computeGradients has
 * its own: pass { stream: 'training' } to compute the gradients training's next step
 * would see (that moves the training stream on, as a step would).
 */
export const DEFAULT_STREAMS = { trainStep: 'training', computeGradients: 'gradients', evaluate: 'evaluation', predict: 'prediction', generate: 'generation' } as const;

/**
 * The stream a run uses: `options.stream` (a non-empty string) or the default of its kind. A run's
 * options hold nothing else (a typo such as `strem` would silently run on the default stream);
 * generate's hold its request too, checked with it (checkGenerateOptions).
 */
export function streamOf(options: RunOptions, kind: keyof typeof DEFAULT_STREAMS): string {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', `got ${options === null ? 'null' : typeof options}, expected an object such as { stream: 'validation' }`);
  if (kind !== 'generate') rejectUnknownKeys('options', options, RUN_OPTION_KEYS);
  const name = options.stream;
  if (name === undefined) return DEFAULT_STREAMS[kind];
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('options.stream', `got ${JSON.stringify(name)}, expected a non-empty string naming a state stream`);
  return name;
}
