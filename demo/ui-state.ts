/**
 * The demo page's state as data: a reducer from the worker's messages and the
 * user's actions to the view, and the functions that read the form and say
 * which controls are usable. No DOM, no worker: main.ts renders what this
 * computes, and test/demo-protocol.test.ts checks it in plain Node.
 */
import type { GpuMemory } from '../src/index.ts';
import type {
  FaultCause,
  LossPoint,
  ModelInfo,
  ModelSettings,
  OptimizerName,
  ReferenceLine,
  Sample,
  SampleSettings,
  Stage,
  TrainingSettings,
  WorkerMessage,
} from './protocol.ts';

export type { LossPoint } from './protocol.ts';

/**
 * starting: waiting for the worker's GPU; ready: no model; training; pausing:
 * asked to stop, steps still finishing; paused: a model, no GPU work; lost: the
 * GPU context faulted (device lost), Recover offered; recovering: a new context
 * and the model from its checkpoint on the way; error: no WebGPU, or the worker
 * failed (reload the page).
 */
export type Phase = 'starting' | 'ready' | 'training' | 'pausing' | 'paused' | 'lost' | 'recovering' | 'error';

/** What the device-lost banner says. */
export interface Fault {
  cause: FaultCause;
  /** The model's step when the GPU failed; none without a model. */
  step: number | undefined;
  /** The step Recover goes back to; none: no checkpoint (no model). */
  checkpointStep: number | undefined;
  /** The library's error. */
  message: string;
}

export interface ViewState {
  phase: Phase;
  /** A request in flight that blocks the other buttons. */
  busy: 'saving' | 'loading' | 'sampling' | 'resetting' | undefined;
  status: string;
  adapter: string | undefined;
  /** The adapter runs the GPU work on the CPU (SwiftShader, llvmpipe, …): slow, and the page says so. */
  softwareAdapter: boolean;
  /** Slow first-run work in progress (compiling kernels, the first step); undefined otherwise. */
  stage: Stage | undefined;
  model: ModelInfo | undefined;
  /** Batch shape of the last Train, or saved in a loaded file. */
  shape: { timeSteps: number; batchSize: number } | undefined;
  /** The GPU memory the model holds, as the worker last reported it. */
  memory: GpuMemory | undefined;
  step: number;
  loss: number | undefined;
  firstLoss: number | undefined;
  tokensPerSecond: number | undefined;
  trainLoss: LossPoint[];
  validationLoss: LossPoint[];
  validation: { step: number; loss: number; recallAccuracy?: number } | undefined;
  references: ReferenceLine[];
  dataDescription: string;
  /** The latest sample. */
  sample: Sample | undefined;
  /** Samples of this model, newest first, at most SAMPLE_HISTORY. */
  samples: Sample[];
  sampleError: string | undefined;
  /**
   * Shown on the page until the next action or success; the model is kept unless phase is 'error'.
   * In plain words; `errorDetail`: the library's own message, for the curious.
   */
  error: string | undefined;
  errorDetail: string | undefined;
  lastSaved: string | undefined;
  /** Step of the worker's in-memory checkpoint of the model. */
  checkpointStep: number | undefined;
  /** Set while the GPU is lost (phases lost and recovering). */
  fault: Fault | undefined;
}

export type UserAction =
  | { type: 'user-train'; training: TrainingSettings }
  | { type: 'user-pause' }
  | { type: 'user-reset' }
  | { type: 'user-save' }
  | { type: 'user-load'; fileName: string }
  | { type: 'user-sample' }
  | { type: 'user-learning-rate'; learningRate: number }
  /** The error toast's close button. */
  | { type: 'user-dismiss-error' }
  | { type: 'user-recover' }
  /** A setting or file the page refused before asking the worker. */
  | { type: 'user-invalid'; message: string; detail?: string };

export type ViewEvent = WorkerMessage | UserAction;

/** What a new or loaded model starts from: no steps, no curves, no sample, no checkpoint. */
const EMPTY_HISTORY = {
  step: 0,
  loss: undefined,
  firstLoss: undefined,
  tokensPerSecond: undefined,
  trainLoss: [],
  validationLoss: [],
  validation: undefined,
  sample: undefined,
  samples: [],
  sampleError: undefined,
  checkpointStep: undefined,
  memory: undefined,
} satisfies Partial<ViewState>;

/** Samples kept in the history. */
export const SAMPLE_HISTORY = 12;

export const initialViewState: ViewState = {
  ...EMPTY_HISTORY,
  phase: 'starting',
  busy: undefined,
  status: 'starting the training worker…',
  adapter: undefined,
  softwareAdapter: false,
  stage: undefined,
  model: undefined,
  shape: undefined,
  references: [],
  dataDescription: '',
  error: undefined,
  errorDetail: undefined,
  lastSaved: undefined,
  fault: undefined,
};

function freshHistory(state: ViewState): ViewState {
  return { ...state, ...EMPTY_HISTORY };
}

/** A model's history as a loaded checkpoint gives it: its step and its curves. */
function historyOf(info: ModelInfo): Partial<ViewState> {
  const training = info.history?.training ?? [];
  const validation = info.history?.validation ?? [];
  const lastValidation = validation.at(-1);
  return {
    step: info.step,
    loss: training.at(-1)?.loss,
    firstLoss: training[0]?.loss,
    trainLoss: training,
    validationLoss: validation,
    validation: lastValidation && { step: lastValidation.step, loss: lastValidation.loss },
  };
}

/** What the status says when nothing is in flight. */
export function idleStatus(state: Pick<ViewState, 'model' | 'step'>): string {
  return state.model ? `paused at step ${state.step}` : 'ready';
}

const NO_ERROR = { error: undefined, errorDetail: undefined } as const;

/**
 * The state of a model restored from its checkpoint at `step`: what the page
 * showed up to that step is kept (the steps after it are gone with the device).
 */
function rewoundTo(state: ViewState, step: number): ViewState {
  const trainLoss = state.trainLoss.filter((point) => point.step <= step);
  const validationLoss = state.validationLoss.filter((point) => point.step <= step);
  const lastTrain = trainLoss.at(-1);
  const lastValidation = validationLoss.at(-1);
  return {
    ...state,
    step,
    loss: lastTrain?.loss,
    firstLoss: trainLoss.length > 0 ? state.firstLoss : undefined,
    tokensPerSecond: undefined,
    trainLoss,
    validationLoss,
    validation:
      state.validation && state.validation.step <= step ? state.validation : lastValidation && { step: lastValidation.step, loss: lastValidation.loss },
    checkpointStep: step,
  };
}

/** Worker messages about the run that a lost GPU makes stale: any still on their way are dropped. */
const STALE_WHEN_LOST: ReadonlySet<ViewEvent['type']> = new Set(['training', 'progress', 'validation', 'paused', 'sample', 'sample-error', 'checkpoint', 'memory']);

function isIdle(phase: Phase): boolean {
  return phase === 'ready' || phase === 'paused';
}

export function reduce(state: ViewState, event: ViewEvent): ViewState {
  if ((state.phase === 'lost' || state.phase === 'recovering') && STALE_WHEN_LOST.has(event.type)) return state;
  switch (event.type) {
    // ---- the worker ----
    case 'ready':
      return { ...state, phase: 'ready', adapter: event.adapter.description, softwareAdapter: event.adapter.software, status: 'ready' };
    case 'unavailable':
      return { ...state, phase: 'error', busy: undefined, adapter: 'none: WebGPU is not available', error: event.message, errorDetail: undefined, status: 'WebGPU is not available' };
    case 'stage':
      return {
        ...state,
        stage: event.stage,
        status: event.stage === 'compiling' ? 'compiling the GPU kernels…' : 'recording and running the first training step…',
      };
    case 'model': {
      const loaded = event.info.origin === 'file';
      const saved = event.info.savedTraining;
      const shape = loaded && saved?.timeSteps && saved.batchSize ? { timeSteps: saved.timeSteps, batchSize: saved.batchSize } : state.shape;
      return {
        ...freshHistory(state),
        ...historyOf(event.info),
        ...NO_ERROR,
        model: event.info,
        shape,
        references: loaded ? [] : state.references,
        busy: loaded ? undefined : state.busy,
        status: loaded ? `loaded ${event.info.fileName ?? 'a model'} at step ${event.info.step}` : 'model created',
      };
    }
    case 'memory':
      return state.model ? { ...state, memory: event.memory } : state;
    case 'training':
      return { ...state, phase: 'training', references: event.references, dataDescription: event.description, status: state.stage ? state.status : 'training' };
    case 'progress':
      return {
        ...state,
        // The first loss ends the first-run wait.
        stage: undefined,
        status: state.stage && state.phase === 'training' ? 'training' : state.status,
        step: event.step,
        loss: event.loss,
        firstLoss: state.firstLoss ?? event.loss,
        tokensPerSecond: event.tokensPerSecond,
        trainLoss: [...state.trainLoss, { step: event.step, loss: event.loss }],
      };
    case 'validation':
      return {
        ...state,
        validation: { step: event.step, loss: event.loss, recallAccuracy: event.recallAccuracy },
        validationLoss: [...state.validationLoss, { step: event.step, loss: event.loss }],
      };
    case 'paused':
      return { ...state, phase: 'paused', stage: undefined, step: event.step, status: idleStatus({ model: state.model, step: event.step }) };
    case 'checkpoint':
      return { ...state, checkpointStep: event.step };
    case 'sample': {
      const requested = state.busy === 'sampling';
      return {
        ...state,
        sample: event.sample,
        samples: [event.sample, ...state.samples].slice(0, SAMPLE_HISTORY),
        sampleError: undefined,
        busy: requested ? undefined : state.busy,
        status: requested ? idleStatus(state) : state.status,
      };
    }
    case 'sample-error': {
      const requested = state.busy === 'sampling';
      return { ...state, sampleError: event.message, busy: requested ? undefined : state.busy, status: requested ? idleStatus(state) : state.status };
    }
    case 'saved':
      return { ...state, ...NO_ERROR, busy: undefined, lastSaved: event.fileName, status: `saved ${event.fileName}` };
    case 'learning-rate':
      return state.model ? { ...state, model: { ...state.model, learningRate: event.learningRate } } : state;
    case 'reset':
      return { ...freshHistory(state), phase: 'ready', busy: undefined, model: undefined, references: [], dataDescription: '', status: 'ready' };
    case 'device-lost':
      return {
        ...state,
        phase: 'lost',
        busy: undefined,
        stage: undefined,
        ...NO_ERROR,
        fault: { cause: event.cause, step: event.step, checkpointStep: event.checkpointStep, message: event.message },
        checkpointStep: event.checkpointStep,
        status: event.cause === 'device-lost' ? 'GPU device lost' : 'GPU failed',
      };
    case 'recovered': {
      // The new device's memory comes in its own message.
      const recovered = { ...state, ...NO_ERROR, busy: undefined, fault: undefined, memory: undefined, adapter: event.adapter.description, softwareAdapter: event.adapter.software };
      if (event.step === undefined || !event.info) {
        // No checkpoint: whatever model there was is gone.
        return { ...freshHistory(recovered), phase: 'ready', model: undefined, references: [], dataDescription: '', status: 'recovered: a new GPU device, no model' };
      }
      return { ...rewoundTo(recovered, event.step), phase: 'paused', model: event.info, status: `recovered at step ${event.step}: Train continues from there` };
    }
    case 'error': {
      const error = { error: event.message, errorDetail: event.detail };
      if (event.fatal) return { ...state, ...error, phase: 'error', busy: undefined, stage: undefined, status: 'stopped: the GPU failed' };
      // Recovery failed: the GPU is still lost, and Recover may be tried again.
      if (state.phase === 'recovering' || state.phase === 'lost') return { ...state, ...error, phase: 'lost', busy: undefined, status: `${event.action} failed` };
      // A failed Train (bad text, bad settings) never started; a failed step stopped the run.
      const phase = event.action === 'train' || state.phase === 'training' || state.phase === 'pausing' ? (state.model ? 'paused' : 'ready') : state.phase;
      return { ...state, ...error, phase, busy: undefined, stage: undefined, status: `${event.action} failed` };
    }

    // ---- the user ----
    case 'user-train':
      if (!isIdle(state.phase) || state.busy) return state;
      return {
        ...state,
        phase: 'training',
        shape: { timeSteps: event.training.timeSteps, batchSize: event.training.batchSize },
        ...NO_ERROR,
        status: state.model ? 'resuming…' : 'creating the model…',
      };
    case 'user-pause':
      return state.phase === 'training' ? { ...state, phase: 'pausing', status: 'pausing…' } : state;
    case 'user-reset':
      return isIdle(state.phase) && !state.busy ? { ...state, ...NO_ERROR, busy: 'resetting', status: 'resetting…' } : state;
    case 'user-save':
      return isIdle(state.phase) && !state.busy && state.model ? { ...state, ...NO_ERROR, busy: 'saving', status: 'saving…' } : state;
    case 'user-load':
      return isIdle(state.phase) && !state.busy ? { ...state, ...NO_ERROR, busy: 'loading', status: `loading ${event.fileName}…` } : state;
    case 'user-sample':
      return isIdle(state.phase) && !state.busy && state.model ? { ...state, ...NO_ERROR, busy: 'sampling', status: 'writing a sample…' } : state;
    case 'user-recover':
      return state.phase === 'lost' ? { ...state, ...NO_ERROR, phase: 'recovering', status: 'recovering: a new GPU device, and the model from its checkpoint…' } : state;
    case 'user-learning-rate':
    case 'user-dismiss-error':
      return { ...state, ...NO_ERROR };
    case 'user-invalid':
      return { ...state, error: event.message, errorDetail: event.detail };
  }
}

/** Which controls are usable (true) in a state. */
export interface Controls {
  train: boolean;
  pause: boolean;
  reset: boolean;
  save: boolean;
  load: boolean;
  sample: boolean;
  /** Cell, layers, hidden size, optimizer: fixed once a model exists. */
  modelSettings: boolean;
  /** Source, text, sequence length, batch size: not while training. */
  dataSettings: boolean;
  /** The learning rate: changeable at any time but while the GPU is lost or the page failed. */
  learningRate: boolean;
  /** After a device loss: a new GPU context and the model from its checkpoint. */
  recover: boolean;
  /** Fault injection: destroy the GPU device, to try Recover. */
  simulateLoss: boolean;
}

export function controlsFor(state: ViewState): Controls {
  const idle = isIdle(state.phase);
  const free = idle && state.busy === undefined;
  return {
    train: free,
    pause: state.phase === 'training',
    reset: free && state.model !== undefined,
    save: free && state.model !== undefined,
    load: free,
    sample: free && state.model !== undefined,
    modelSettings: free && state.model === undefined,
    dataSettings: idle,
    learningRate: idle || state.phase === 'training',
    recover: state.phase === 'lost',
    simulateLoss: state.model !== undefined && (state.phase === 'training' || free),
  };
}

/** The device-lost banner: what happened, where it happened, and what Recover will do. */
export function faultBanner(state: ViewState): { headline: string; action: string; detail: string } | undefined {
  const fault = state.fault;
  if (!fault) return undefined;
  const what = fault.cause === 'device-lost' ? 'The GPU device was lost' : 'The GPU stopped with an error';
  const headline = `${what}${fault.step === undefined ? '' : ` at step ${fault.step}`}.`;
  if (fault.checkpointStep === undefined) {
    return { headline, action: 'There is no checkpoint to go back to: Recover starts a new GPU device, without a model.', detail: fault.message };
  }
  const gone = fault.step === undefined ? 0 : fault.step - fault.checkpointStep;
  const lostSteps = gone === 1 ? ' (the step after it is lost)' : gone > 1 ? ` (the ${gone} steps after it are lost)` : '';
  return {
    headline,
    action: `Recover from the checkpoint of step ${fault.checkpointStep}${lostSteps}, on a new GPU device; then Train continues from there.`,
    detail: fault.message,
  };
}

/** The controls' values as the form gives them (strings). */
export interface SettingsForm {
  cell: string;
  layers: string;
  hiddenSize: string;
  optimizer: string;
  timeSteps: string;
  batchSize: string;
  learningRate: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const CELL_NAMES = ['rnn', 'lstm', 'gru'] as const;
const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd'];
/** Limits that keep a browser tab responsive; the library itself has none. */
export const LIMITS = { layers: 8, hiddenSize: 2048, timeSteps: 1024, batchSize: 1024 };

function integerIn(label: string, text: string, max: number): Parsed<number> {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 1 || value > max) {
    return { ok: false, error: `${label}: got ${JSON.stringify(text)}, expected a whole number from 1 to ${max}` };
  }
  return { ok: true, value };
}

export function parseSettings(form: SettingsForm): Parsed<{ model: ModelSettings; training: TrainingSettings }> {
  if (!(CELL_NAMES as readonly string[]).includes(form.cell)) return { ok: false, error: `Cell: got ${JSON.stringify(form.cell)}, expected rnn, lstm or gru` };
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(form.optimizer)) return { ok: false, error: `Optimizer: got ${JSON.stringify(form.optimizer)}, expected adam or sgd` };
  const layers = integerIn('Layers', form.layers, LIMITS.layers);
  if (!layers.ok) return layers;
  const hiddenSize = integerIn('Hidden size', form.hiddenSize, LIMITS.hiddenSize);
  if (!hiddenSize.ok) return hiddenSize;
  const timeSteps = integerIn('Sequence length', form.timeSteps, LIMITS.timeSteps);
  if (!timeSteps.ok) return timeSteps;
  const batchSize = integerIn('Batch size', form.batchSize, LIMITS.batchSize);
  if (!batchSize.ok) return batchSize;
  const learningRate = Number(form.learningRate);
  if (form.learningRate.trim() === '' || !Number.isFinite(learningRate) || learningRate <= 0) {
    return { ok: false, error: `Learning rate: got ${JSON.stringify(form.learningRate)}, expected a positive number` };
  }
  return {
    ok: true,
    value: {
      model: { cell: form.cell as ModelSettings['cell'], layers: layers.value, hiddenSize: hiddenSize.value, optimizer: form.optimizer as OptimizerName },
      training: { timeSteps: timeSteps.value, batchSize: batchSize.value, learningRate },
    },
  };
}

export function parseSampling(form: { prime: string; temperature: string; seed: string }): Parsed<SampleSettings> {
  const temperature = Number(form.temperature);
  if (!Number.isFinite(temperature) || temperature <= 0) return { ok: false, error: `Temperature: got ${JSON.stringify(form.temperature)}, expected a positive number` };
  const seed = Number(form.seed);
  if (form.seed.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    return { ok: false, error: `Sample seed: got ${JSON.stringify(form.seed)}, expected a whole number from 0 to 4294967295` };
  }
  return { ok: true, value: { prime: form.prime, temperature, seed } };
}
