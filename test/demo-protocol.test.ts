/**
 * The demo's logic without a browser: the page's state reducer and controls
 * (demo/ui-state.ts), including a device loss and the recovery from the
 * worker's checkpoint, the worker messages (demo/protocol.ts) crossing a
 * structured clone, the saved files' metadata (demo/saved-model.ts), the CPU
 * metrics (demo/metrics.ts) and the training data (demo/training-data.ts).
 */
import { describe, expect, test } from 'vitest';
import { CharacterVocabulary, type GpuMemory } from '../src/index.ts';
import { arithmeticText, CORPORA, grammarText } from '../demo/corpora.ts';
import { correctPredictions, formatBytes, memoryBreakdown, parameterCount, smoothed } from '../demo/metrics.ts';
import { fileLoadError, textReadError } from '../demo/plain-errors.ts';
import type { AdapterInfo, ModelInfo, PageMessage, WorkerMessage } from '../demo/protocol.ts';
import {
  COPY_MARKER,
  COPY_SYMBOLS,
  COPY_VOCABULARY,
  copyLossFloor,
  copyMemoryData,
  copyMinimumTimeSteps,
  copySequence,
  DataError,
  textData,
} from '../demo/training-data.ts';
import { SafetensorsError, seededRandom } from '../src/index.ts';
import {
  type DemoMetadata,
  historyUpTo,
  MAX_HISTORY_POINTS,
  METADATA_DEMO,
  METADATA_HISTORY,
  modelFileMetadata,
  readDemoMetadata,
  readHistory,
  vocabularyFromMetadata,
} from '../demo/saved-model.ts';
import {
  controlsFor,
  faultBanner,
  initialViewState,
  parseSampling,
  parseSettings,
  reduce,
  SAMPLE_HISTORY,
  type ViewEvent,
  type ViewState,
} from '../demo/ui-state.ts';

const LSTM_SHAPES = (V: number, H: number): Record<string, number[]> => ({
  weight_ih_l0: [4 * H, V],
  weight_hh_l0: [4 * H, H],
  bias_ih_l0: [4 * H],
  bias_hh_l0: [4 * H],
  weight: [V, H],
  bias: [V],
});

const MODEL: ModelInfo = {
  cell: 'lstm',
  layers: 1,
  hiddenSize: 32,
  optimizer: 'adam',
  vocabularySize: 43,
  parameterShapes: LSTM_SHAPES(43, 32),
  task: 'text',
  origin: 'new',
  step: 0,
  learningRate: 0.01,
};

const TRAINING = { timeSteps: 16, batchSize: 8, learningRate: 0.01 };

function run(events: ViewEvent[], from: ViewState = initialViewState): ViewState {
  return events.reduce(reduce, from);
}

const READY: ViewEvent = { type: 'ready', adapter: { description: 'browser: google swiftshader (core feature level)', vendor: 'google', architecture: 'swiftshader', featureLevel: 'core', software: true } };

/** A model that trained to step 10 and paused. */
/** A model's report (RnnModel.gpuMemory) with one training and one evaluation plan. */
const MEMORY: GpuMemory = {
  parameterBytes: 1024,
  gradientBytes: 1024,
  optimizerBytes: 2048,
  historyBytes: 8192,
  stateBytes: 512,
  plans: [
    { mode: 'train', timeSteps: 16, batchSize: 8, bytes: 2048 },
    { mode: 'evaluate', timeSteps: 1, batchSize: 1, bytes: 1024 },
  ],
  activationBytes: 3072,
  totalBytes: 15872,
};

function pausedState(): ViewState {
  return run([
    READY,
    { type: 'user-train', training: TRAINING },
    { type: 'model', info: MODEL },
    { type: 'training', step: 0, references: [{ loss: Math.log(43), label: 'uniform' }], description: '2,528 characters to train on' },
    { type: 'progress', step: 1, loss: 3.8, tokensPerSecond: 1000 },
    { type: 'progress', step: 5, loss: 3.1, tokensPerSecond: 1200 },
    { type: 'validation', step: 5, loss: 3.2 },
    { type: 'user-pause' },
    { type: 'paused', step: 10 },
    { type: 'sample', sample: { prime: 'T', text: 'he', temperature: 0.8, seed: 1, step: 10, origin: 'paused' } },
  ]);
}

describe('the page state', () => {
  test('starts waiting for the worker with every button off', () => {
    expect(initialViewState.phase).toBe('starting');
    const controls = controlsFor(initialViewState);
    expect(Object.values(controls).some((enabled) => enabled)).toBe(false);
  });

  test('ready: Train and Load are on, the model settings editable; nothing to save', () => {
    const state = reduce(initialViewState, READY);
    expect(state.phase).toBe('ready');
    expect(state.adapter).toMatch(/swiftshader/);
    expect(controlsFor(state)).toEqual({
      train: true,
      pause: false,
      reset: false,
      save: false,
      load: true,
      sample: false,
      modelSettings: true,
      dataSettings: true,
      learningRate: true,
      recover: false,
      simulateLoss: false,
    });
  });

  test('Train: only Pause is usable, and all settings but the learning rate are locked while training', () => {
    const state = run([READY, { type: 'user-train', training: TRAINING }]);
    expect(state.phase).toBe('training');
    expect(state.shape).toEqual({ timeSteps: 16, batchSize: 8 });
    expect(controlsFor(state)).toEqual({
      train: false,
      pause: true,
      reset: false,
      save: false,
      load: false,
      sample: false,
      modelSettings: false,
      dataSettings: false,
      learningRate: true,
      recover: false,
      simulateLoss: false,
    });
    // A second Train while training changes nothing.
    expect(reduce(state, { type: 'user-train', training: TRAINING })).toBe(state);
  });

  test('progress and validation build the curves without touching earlier states', () => {
    const before = run([READY, { type: 'user-train', training: TRAINING }, { type: 'model', info: MODEL }, { type: 'progress', step: 1, loss: 3.8, tokensPerSecond: 900 }]);
    const after = run([{ type: 'progress', step: 5, loss: 3.0, tokensPerSecond: 1100 }, { type: 'validation', step: 5, loss: 3.3, recallAccuracy: 0.25 }], before);
    expect(after.firstLoss).toBe(3.8);
    expect(after.loss).toBe(3.0);
    expect(after.step).toBe(5);
    expect(after.tokensPerSecond).toBe(1100);
    expect(after.trainLoss).toEqual([
      { step: 1, loss: 3.8 },
      { step: 5, loss: 3.0 },
    ]);
    expect(after.validationLoss).toEqual([{ step: 5, loss: 3.3 }]);
    expect(after.validation).toEqual({ step: 5, loss: 3.3, recallAccuracy: 0.25 });
    expect(before.trainLoss).toHaveLength(1);
  });

  test('Pause → pausing → paused: save, sample, reset and load come back; the model settings stay locked', () => {
    const pausing = run([READY, { type: 'user-train', training: TRAINING }, { type: 'model', info: MODEL }, { type: 'user-pause' }]);
    expect(pausing.phase).toBe('pausing');
    expect(controlsFor(pausing).pause).toBe(false);
    expect(controlsFor(pausing).train).toBe(false);
    const paused = pausedState();
    expect(paused.phase).toBe('paused');
    expect(paused.status).toBe('paused at step 10');
    expect(paused.sample?.text).toBe('he');
    expect(controlsFor(paused)).toEqual({
      train: true,
      pause: false,
      reset: true,
      save: true,
      load: true,
      sample: true,
      modelSettings: false,
      dataSettings: true,
      learningRate: true,
      recover: false,
      simulateLoss: true,
    });
  });

  test('Save blocks the other buttons until the file comes back', () => {
    const saving = reduce(pausedState(), { type: 'user-save' });
    expect(saving.busy).toBe('saving');
    expect(controlsFor(saving)).toMatchObject({ train: false, save: false, load: false, reset: false, sample: false });
    const saved = reduce(saving, { type: 'saved', what: 'checkpoint', fileName: 'm.safetensors', bytes: new ArrayBuffer(8) });
    expect(saved.busy).toBeUndefined();
    expect(saved.lastSaved).toBe('m.safetensors');
    expect(controlsFor(saved).train).toBe(true);
  });

  test('a refused file shows its error and keeps the model, its curves and its sample', () => {
    const paused = pausedState();
    const refused = run([{ type: 'user-load', fileName: 'bad.safetensors' }, { type: 'error', action: 'load', message: 'the file is truncated', fatal: false }], paused);
    expect(refused.error).toBe('the file is truncated');
    expect(refused.model).toBe(paused.model);
    expect(refused.trainLoss).toBe(paused.trainLoss);
    expect(refused.sample).toBe(paused.sample);
    expect(refused.phase).toBe('paused');
    expect(refused.busy).toBeUndefined();
    expect(controlsFor(refused).train).toBe(true);
    // The next action clears the error.
    expect(reduce(refused, { type: 'user-train', training: TRAINING }).error).toBeUndefined();
  });

  test('a loaded model replaces the old one, starts a fresh history and takes its batch shape from the file', () => {
    const loaded = run(
      [
        { type: 'user-load', fileName: 'm.safetensors' },
        { type: 'model', info: { ...MODEL, hiddenSize: 64, parameterShapes: LSTM_SHAPES(43, 64), origin: 'file', fileName: 'm.safetensors', savedTraining: { timeSteps: 32, batchSize: 4 } } },
      ],
      pausedState(),
    );
    expect(loaded.model?.hiddenSize).toBe(64);
    expect(loaded.step).toBe(0);
    expect(loaded.trainLoss).toEqual([]);
    expect(loaded.firstLoss).toBeUndefined();
    expect(loaded.sample).toBeUndefined();
    expect(loaded.shape).toEqual({ timeSteps: 32, batchSize: 4 });
    expect(loaded.busy).toBeUndefined();
    expect(loaded.status).toBe('loaded m.safetensors at step 0');
    const withSample = reduce(loaded, { type: 'sample', sample: { prime: 'T', text: 'he', temperature: 0.8, seed: 1, step: 0, origin: 'loaded' } });
    expect(withSample.sample?.origin).toBe('loaded');
  });

  test('a Train the worker refuses (text too short) leaves the page ready, or paused with its model', () => {
    const error: ViewEvent = { type: 'error', action: 'train', message: 'The text has 12 characters', fatal: false };
    const noModel = run([READY, { type: 'user-train', training: TRAINING }, error]);
    expect(noModel.phase).toBe('ready');
    expect(noModel.error).toMatch(/12 characters/);
    const withModel = run([{ type: 'user-train', training: TRAINING }, error], pausedState());
    expect(withModel.phase).toBe('paused');
    expect(withModel.model).toBeDefined();
  });

  test('a fatal error (the worker failed) stops everything', () => {
    const failed = run([READY, { type: 'user-train', training: TRAINING }, { type: 'error', action: 'startup', message: 'The training worker failed', fatal: true }]);
    expect(failed.phase).toBe('error');
    expect(Object.values(controlsFor(failed)).some((enabled) => enabled)).toBe(false);
  });

  test('no WebGPU: an error page with the message, nothing usable', () => {
    const state = reduce(initialViewState, { type: 'unavailable', message: 'This demo needs WebGPU' });
    expect(state.phase).toBe('error');
    expect(state.error).toBe('This demo needs WebGPU');
    expect(controlsFor(state).train).toBe(false);
  });

  test('a prime outside the vocabulary is a sample error, not a page error, and training goes on', () => {
    const training = run([READY, { type: 'user-train', training: TRAINING }, { type: 'model', info: MODEL }]);
    const state = reduce(training, { type: 'sample-error', message: 'No sample: character "Ω" is not in the vocabulary' });
    expect(state.sampleError).toMatch(/Ω/);
    expect(state.error).toBeUndefined();
    expect(state.phase).toBe('training');
    expect(reduce(state, { type: 'sample', sample: { prime: 'a', text: 'b', temperature: 1, seed: 0, step: 3, origin: 'training' } }).sampleError).toBeUndefined();
  });

  test('Reset discards the model and its history; the model settings become editable', () => {
    const reset = run([{ type: 'user-reset' }, { type: 'reset' }], pausedState());
    expect(reset.model).toBeUndefined();
    expect(reset.phase).toBe('ready');
    expect(reset.trainLoss).toEqual([]);
    expect(reset.references).toEqual([]);
    expect(controlsFor(reset).modelSettings).toBe(true);
    expect(controlsFor(reset).save).toBe(false);
  });

  test('actions that do not fit the state are ignored', () => {
    const ready = reduce(initialViewState, READY);
    expect(reduce(ready, { type: 'user-pause' })).toBe(ready);
    expect(reduce(ready, { type: 'user-save' })).toBe(ready);
    expect(reduce(ready, { type: 'user-sample' })).toBe(ready);
    expect(reduce(initialViewState, { type: 'user-train', training: TRAINING })).toBe(initialViewState);
  });

  test('the GPU memory shown is what the worker last reported for the model; a new model, Reset or a new device clear it', () => {
    const reported: WorkerMessage = { type: 'memory', memory: MEMORY };
    expect(structuredClone(reported)).toEqual(reported);
    // No model: nothing to show.
    expect(reduce(reduce(initialViewState, READY), reported).memory).toBeUndefined();
    const shown = reduce(pausedState(), reported);
    expect(shown.memory).toEqual(MEMORY);
    expect(reduce(shown, { type: 'memory', memory: { ...MEMORY, plans: [], activationBytes: 0, totalBytes: 3072 } }).memory?.totalBytes).toBe(3072);
    expect(reduce(shown, { type: 'model', info: MODEL }).memory).toBeUndefined();
    expect(reduce(shown, { type: 'reset' }).memory).toBeUndefined();
    const lost = reduce(shown, { type: 'device-lost', cause: 'device-lost', step: 10, checkpointStep: 10, message: 'lost' });
    // A report of the lost device's model is stale; the new device's comes after 'recovered'.
    expect(reduce(lost, reported).memory).toEqual(MEMORY);
    const recovered = reduce(reduce(lost, { type: 'user-recover' }), { type: 'recovered', adapter: (READY as { adapter: AdapterInfo }).adapter, step: 10, info: MODEL });
    expect(recovered.memory).toBeUndefined();
    expect(reduce(recovered, reported).memory).toEqual(MEMORY);
  });
});

describe('a lost GPU device and the recovery from the checkpoint', () => {
  const ADAPTER = (READY as { adapter: AdapterInfo }).adapter;
  const NEW_ADAPTER: AdapterInfo = { ...ADAPTER, description: 'browser: google swiftshader (core feature level), the new device' };
  const LOST: ViewEvent = { type: 'device-lost', cause: 'device-lost', step: 57, checkpointStep: 50, message: 'The GPU device was lost (destroyed): no message.' };

  /** Training to step 60 with a checkpoint at 50 and validations at 25 and 50. */
  function trainingState(): ViewState {
    return run([
      READY,
      { type: 'user-train', training: TRAINING },
      { type: 'model', info: MODEL },
      { type: 'checkpoint', step: 0 },
      { type: 'training', step: 0, references: [], description: 'text' },
      ...[1, 5, 25, 50, 55].map((step): ViewEvent => ({ type: 'progress', step, loss: 4 - step / 50, tokensPerSecond: 1000 })),
      { type: 'validation', step: 25, loss: 3.6, recallAccuracy: 0.25 },
      { type: 'validation', step: 50, loss: 3.2, recallAccuracy: 0.5 },
      { type: 'checkpoint', step: 50 },
      { type: 'progress', step: 60, loss: 2.8, tokensPerSecond: 1000 },
    ]);
  }

  test('the worker says when it holds a checkpoint; a new model has none until it says so', () => {
    const state = trainingState();
    expect(state.checkpointStep).toBe(50);
    expect(reduce(state, { type: 'model', info: MODEL }).checkpointStep).toBeUndefined();
    expect(run([{ type: 'user-reset' }, { type: 'reset' }], state).checkpointStep).toBeUndefined();
  });

  test('loss: the banner names the step and the checkpoint; only Recover is usable', () => {
    const lost = reduce(trainingState(), LOST);
    expect(lost.phase).toBe('lost');
    expect(lost.fault).toEqual({ cause: 'device-lost', step: 57, checkpointStep: 50, message: LOST.type === 'device-lost' ? LOST.message : '' });
    expect(lost.status).toBe('GPU device lost');
    expect(faultBanner(lost)).toEqual({
      headline: 'The GPU device was lost at step 57.',
      action: 'Recover from the checkpoint of step 50 (the 7 steps after it are lost), on a new GPU device; then Train continues from there.',
      detail: 'The GPU device was lost (destroyed): no message.',
    });
    expect(controlsFor(lost)).toEqual({
      train: false,
      pause: false,
      reset: false,
      save: false,
      load: false,
      sample: false,
      modelSettings: false,
      dataSettings: false,
      learningRate: false,
      recover: true,
      simulateLoss: false,
    });
    // Nothing of the run is dropped yet: the curves stay on the page.
    expect(lost.trainLoss.at(-1)).toEqual({ step: 60, loss: 2.8 });
    expect(faultBanner(trainingState())).toBeUndefined();
  });

  test('messages the lost run still had on their way change nothing, and user actions other than Recover are ignored', () => {
    const lost = reduce(trainingState(), LOST);
    const stale: ViewEvent[] = [
      { type: 'progress', step: 65, loss: 2.7, tokensPerSecond: 1 },
      { type: 'validation', step: 75, loss: 2.9 },
      { type: 'paused', step: 65 },
      { type: 'checkpoint', step: 65 },
      { type: 'sample', sample: { prime: 'T', text: 'he', temperature: 1, seed: 1, step: 65, origin: 'paused' } },
      { type: 'user-train', training: TRAINING },
      { type: 'user-pause' },
      { type: 'user-save' },
      { type: 'user-sample' },
      { type: 'user-reset' },
      { type: 'user-load', fileName: 'm.safetensors' },
    ];
    for (const event of stale) expect(reduce(lost, event)).toBe(lost);
  });

  test('Recover → recovering → recovered: paused at the checkpoint, the curves cut back to it, on the new adapter', () => {
    const lost = reduce(trainingState(), LOST);
    const recovering = reduce(lost, { type: 'user-recover' });
    expect(recovering.phase).toBe('recovering');
    expect(recovering.status).toMatch(/^recovering/);
    expect(faultBanner(recovering)?.headline).toBe('The GPU device was lost at step 57.');
    expect(Object.values(controlsFor(recovering)).some((enabled) => enabled)).toBe(false);
    // A second click while recovering does nothing.
    expect(reduce(recovering, { type: 'user-recover' })).toBe(recovering);

    const recovered = reduce(recovering, { type: 'recovered', adapter: NEW_ADAPTER, step: 50, info: MODEL });
    expect(recovered.phase).toBe('paused');
    expect(recovered.fault).toBeUndefined();
    expect(faultBanner(recovered)).toBeUndefined();
    expect(recovered.adapter).toBe(NEW_ADAPTER.description);
    expect(recovered.step).toBe(50);
    expect(recovered.checkpointStep).toBe(50);
    expect(recovered.status).toBe('recovered at step 50: Train continues from there');
    expect(recovered.trainLoss.map((point) => point.step)).toEqual([1, 5, 25, 50]);
    expect(recovered.loss).toBe(3);
    expect(recovered.firstLoss).toBe(recovered.trainLoss[0].loss);
    expect(recovered.validationLoss.map((point) => point.step)).toEqual([25, 50]);
    expect(recovered.validation).toEqual({ step: 50, loss: 3.2, recallAccuracy: 0.5 });
    expect(recovered.tokensPerSecond).toBeUndefined();
    expect(recovered.model).toBe(MODEL);
    expect(controlsFor(recovered)).toMatchObject({ train: true, save: true, sample: true, reset: true, recover: false, modelSettings: false });

    // Train continues the curves from the checkpoint's step.
    const again = run(
      [
        { type: 'user-train', training: TRAINING },
        { type: 'training', step: 50, references: [], description: 'text' },
        { type: 'progress', step: 51, loss: 2.95, tokensPerSecond: 900 },
      ],
      recovered,
    );
    expect(again.phase).toBe('training');
    expect(again.trainLoss.map((point) => point.step)).toEqual([1, 5, 25, 50, 51]);
    expect(again.step).toBe(51);
  });

  test('a recovery that rewinds past the last validation keeps the validation before it', () => {
    const lost = reduce(trainingState(), { ...LOST, step: 57, checkpointStep: 30 } as ViewEvent);
    const recovered = run([{ type: 'user-recover' }, { type: 'recovered', adapter: NEW_ADAPTER, step: 30, info: MODEL }], lost);
    expect(recovered.validationLoss).toEqual([{ step: 25, loss: 3.6 }]);
    expect(recovered.validation).toEqual({ step: 25, loss: 3.6 });
    expect(recovered.trainLoss.map((point) => point.step)).toEqual([1, 5, 25]);
  });

  test('a failed recovery leaves the banner and Recover to try again', () => {
    const recovering = run([LOST, { type: 'user-recover' }], trainingState());
    const failed = reduce(recovering, { type: 'error', action: 'recover', message: 'No WebGPU adapter', fatal: false });
    expect(failed.phase).toBe('lost');
    expect(failed.error).toBe('No WebGPU adapter');
    expect(failed.status).toBe('recover failed');
    expect(faultBanner(failed)?.action).toMatch(/checkpoint of step 50/);
    expect(controlsFor(failed).recover).toBe(true);
    expect(reduce(failed, { type: 'user-recover' }).error).toBeUndefined();
  });

  test('without a model there is no checkpoint: Recover gives a new device and the ready page', () => {
    const lost = run([READY, { type: 'device-lost', cause: 'device-lost', message: 'The GPU device was lost (unknown): driver reset.' }]);
    expect(faultBanner(lost)).toEqual({
      headline: 'The GPU device was lost.',
      action: 'There is no checkpoint to go back to: Recover starts a new GPU device, without a model.',
      detail: 'The GPU device was lost (unknown): driver reset.',
    });
    const recovered = run([{ type: 'user-recover' }, { type: 'recovered', adapter: NEW_ADAPTER }], lost);
    expect(recovered.phase).toBe('ready');
    expect(recovered.model).toBeUndefined();
    expect(controlsFor(recovered)).toMatchObject({ train: true, modelSettings: true, recover: false });
  });

  test('an uncaptured GPU error is a fault too, with its own headline; a loss right at the checkpoint loses no steps', () => {
    const failed = reduce(trainingState(), { type: 'device-lost', cause: 'gpu-error', step: 50, checkpointStep: 50, message: 'WebGPU error: out of memory' });
    expect(failed.status).toBe('GPU failed');
    expect(faultBanner(failed)).toMatchObject({
      headline: 'The GPU stopped with an error at step 50.',
      action: 'Recover from the checkpoint of step 50, on a new GPU device; then Train continues from there.',
    });
    const oneStep = reduce(trainingState(), { ...LOST, step: 51 } as ViewEvent);
    expect(faultBanner(oneStep)?.action).toMatch(/\(the step after it is lost\)/);
  });

  test('the simulated loss is offered only where there is a model and nothing else in flight', () => {
    expect(controlsFor(trainingState()).simulateLoss).toBe(true);
    expect(controlsFor(pausedState()).simulateLoss).toBe(true);
    expect(controlsFor(reduce(pausedState(), { type: 'user-save' })).simulateLoss).toBe(false);
    expect(controlsFor(reduce(initialViewState, READY)).simulateLoss).toBe(false);
  });
});

describe('the form', () => {
  const FORM = { cell: 'gru', layers: '2', hiddenSize: '64', optimizer: 'sgd', timeSteps: '32', batchSize: '16', learningRate: '0.05' };

  test('valid settings parse into the model and training settings', () => {
    expect(parseSettings(FORM)).toEqual({
      ok: true,
      value: { model: { cell: 'gru', layers: 2, hiddenSize: 64, optimizer: 'sgd' }, training: { timeSteps: 32, batchSize: 16, learningRate: 0.05 } },
    });
  });

  test.each([
    [{ cell: 'transformer' }, /^Cell: got "transformer"/],
    [{ optimizer: 'rmsprop' }, /^Optimizer: got "rmsprop"/],
    [{ layers: '0' }, /^Layers: got "0", expected a whole number from 1 to 8/],
    [{ layers: '9' }, /^Layers: got "9"/],
    [{ hiddenSize: '12.5' }, /^Hidden size: got "12.5"/],
    [{ hiddenSize: '' }, /^Hidden size: got ""/],
    [{ timeSteps: 'abc' }, /^Sequence length: got "abc"/],
    [{ batchSize: '-4' }, /^Batch size: got "-4"/],
    [{ learningRate: '0' }, /^Learning rate: got "0", expected a positive number/],
    [{ learningRate: 'NaN' }, /^Learning rate: got "NaN"/],
  ])('refuses %o', (change, message) => {
    const parsed = parseSettings({ ...FORM, ...change });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  test('sampling settings: temperature positive, seed a 32-bit whole number, any prime', () => {
    expect(parseSampling({ prime: 'The ', temperature: '0.5', seed: '7' })).toEqual({ ok: true, value: { prime: 'The ', temperature: 0.5, seed: 7 } });
    expect(parseSampling({ prime: '', temperature: '0', seed: '7' }).ok).toBe(false);
    expect(parseSampling({ prime: '', temperature: '1', seed: '1.5' }).ok).toBe(false);
    expect(parseSampling({ prime: '', temperature: '1', seed: String(2 ** 32) }).ok).toBe(false);
  });
});

describe('the messages', () => {
  test('every message survives the structured clone between page and worker', () => {
    const bytes = new Uint8Array([1, 2, 3, 4]).buffer;
    const sample = { prime: 'T', text: 'he', temperature: 0.8, seed: 1, step: 3, origin: 'paused' } as const;
    const fromWorker: WorkerMessage[] = [
      READY as WorkerMessage,
      { type: 'unavailable', message: 'no WebGPU' },
      { type: 'model', info: MODEL },
      { type: 'training', step: 0, references: [{ loss: 1, label: 'x' }], description: 'd' },
      { type: 'progress', step: 1, loss: 3.5, tokensPerSecond: 10 },
      { type: 'validation', step: 25, loss: 2.5, recallAccuracy: 0.5 },
      { type: 'paused', step: 30 },
      { type: 'sample', sample },
      { type: 'sample-error', message: 'm' },
      { type: 'saved', what: 'weights', fileName: 'f.safetensors', bytes },
      { type: 'stage', stage: 'compiling' },
      { type: 'learning-rate', learningRate: 0.003 },
      { type: 'model', info: { ...MODEL, origin: 'file', fileKind: 'checkpoint', step: 70, history: { training: [{ step: 5, loss: 3 }], validation: [] } } },
      { type: 'reset' },
      { type: 'checkpoint', step: 50 },
      { type: 'device-lost', cause: 'device-lost', step: 57, checkpointStep: 50, message: 'The GPU device was lost (destroyed)' },
      { type: 'device-lost', cause: 'gpu-error', message: 'WebGPU error: x' },
      { type: 'recovered', adapter: (READY as { adapter: AdapterInfo }).adapter, step: 50, info: MODEL },
      { type: 'recovered', adapter: (READY as { adapter: AdapterInfo }).adapter },
      { type: 'error', action: 'load', message: 'bad', fatal: false },
      { type: 'error', action: 'load', message: 'Could not load f.safetensors', detail: 'header', fatal: false },
    ];
    const fromPage: PageMessage[] = [
      { type: 'train', model: { cell: 'rnn', layers: 1, hiddenSize: 8, optimizer: 'adam' }, training: TRAINING, source: { kind: 'text', text: 'abc' }, sampling: { prime: '', temperature: 1, seed: 0 } },
      { type: 'train', model: { cell: 'gru', layers: 2, hiddenSize: 8, optimizer: 'sgd' }, training: TRAINING, source: { kind: 'copy-memory', symbols: 2 }, sampling: { prime: 'ab', temperature: 1, seed: 0 } },
      { type: 'pause' },
      { type: 'reset' },
      { type: 'set-sampling', sampling: { prime: 'x', temperature: 0.5, seed: 3 } },
      { type: 'sample', sampling: { prime: 'x', temperature: 0.5, seed: 3 } },
      { type: 'save', what: 'checkpoint' },
      { type: 'save', what: 'weights' },
      { type: 'set-learning-rate', learningRate: 0.002 },
      { type: 'load', fileName: 'f.safetensors', bytes, optimizer: 'adam', learningRate: 0.01, sampling: { prime: '', temperature: 1, seed: 0 } },
      { type: 'recover' },
      { type: 'simulate-device-loss' },
    ];
    for (const message of [...fromWorker, ...fromPage]) expect(structuredClone(message)).toEqual(message);
    // Every worker message is one the page's reducer takes.
    for (const message of fromWorker) expect(() => reduce(pausedState(), message)).not.toThrow();
  });
});

describe('the saved files\' metadata', () => {
  const DEMO: DemoMetadata = { task: 'copy-memory', defaultPrime: 'ab', sampleLength: 11, timeSteps: 12, batchSize: 8, learningRate: 0.01, steps: 40, copySymbols: 2 };

  test('the vocabulary in the library\'s format, and the demo\'s settings, round-trip', () => {
    const vocabulary = CharacterVocabulary.fromText('hello, "world" [1]');
    const metadata = modelFileMetadata(vocabulary, DEMO);
    expect(metadata).toEqual({ ...vocabulary.toMetadata(), [METADATA_DEMO]: JSON.stringify(DEMO) });
    expect(vocabularyFromMetadata(metadata)?.characters).toEqual(vocabulary.characters);
    expect(readDemoMetadata(metadata[METADATA_DEMO])).toEqual(DEMO);
  });

  test('files saved by earlier versions of the demo (the characters as one string) still load', () => {
    expect(vocabularyFromMetadata({ vocabulary: ' .Tabc' })?.characters).toEqual([' ', '.', 'T', 'a', 'b', 'c']);
    // Strings that happen to be JSON, but not an array of characters.
    expect(vocabularyFromMetadata({ vocabulary: '[]' })?.characters).toEqual(['[', ']']);
    expect(vocabularyFromMetadata({ vocabulary: '1' })?.characters).toEqual(['1']);
    expect(vocabularyFromMetadata({})).toBeUndefined();
    expect(() => vocabularyFromMetadata({ vocabulary: 'aa' })).toThrow(/neither a JSON array of distinct characters nor a string of distinct characters/);
  });

  test('settings of the wrong type, or not JSON, are left out', () => {
    expect(readDemoMetadata(undefined)).toEqual({});
    expect(readDemoMetadata('{not json')).toEqual({});
    expect(readDemoMetadata('"text"')).toEqual({});
    expect(readDemoMetadata(JSON.stringify({ task: 'poetry', defaultPrime: '', sampleLength: -1, timeSteps: '32', batchSize: 8, learningRate: null, steps: 1.5 }))).toEqual({ batchSize: 8 });
  });
});

describe('the metrics', () => {
  test('accuracy counts the positions asked for only', () => {
    const logits = [0, 1, 0, /* p1 */ 5, 0, 0, /* p2 */ 0, 0, 9];
    expect(correctPredictions(logits, [1, 0, 0], 3, [0, 1, 2])).toBe(2);
    expect(correctPredictions(logits, [1, 0, 0], 3, [2])).toBe(0);
  });

  test('memory: the parameter count from the shapes, the model report in words, byte units', () => {
    const V = 43;
    const H = 32;
    const parameters = 4 * H * V + 4 * H * H + 8 * H + V * H + V;
    expect(parameterCount(LSTM_SHAPES(V, H))).toBe(parameters);
    expect(memoryBreakdown(MEMORY)).toBe(
      'parameters 1.00 KiB, gradients 1.00 KiB, optimizer states 2.00 KiB, loss history and carried states 8.50 KiB, ' +
        'step buffers 3.00 KiB (16 × 8 training 2.00 KiB, 1 × 1 evaluation 1.00 KiB)',
    );
    expect(memoryBreakdown({ ...MEMORY, plans: [], activationBytes: 0 })).toMatch(/step buffers 0 B$/);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(395 * 1024)).toBe('395 KiB');
    expect(formatBytes(3.5 * 1024 * 1024)).toBe('3.50 MiB');
  });
});

describe('the training data', () => {
  const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(20);

  test('text: the last tenth is held out for validation, at the training shape when it fits', () => {
    const data = textData(TEXT, 8, 4);
    expect(data.vocabulary.characters).toEqual(CharacterVocabulary.fromText(TEXT).characters);
    const heldOut = Math.floor(TEXT.length * 0.1);
    expect(data.description).toContain(`${heldOut} held out`);
    expect(data.validationBatches.length).toBeGreaterThan(0);
    for (const batch of data.validationBatches) expect([batch.timeSteps, batch.batchSize]).toEqual([8, 4]);
    expect(data.trainingBatch(0).inputTokens).toHaveLength(32);
    expect(data.references[0].loss).toBeCloseTo(Math.log(data.vocabulary.size), 12);
    expect(data.defaultPrime).toBe('t');
  });

  test('text: no training batch reads the held-out tail, and validation reads only the tail', () => {
    // 400 characters: the held-out 40 are exactly the 'wxyz' part.
    const data = textData('abcd'.repeat(90) + 'wxyz'.repeat(10), 4, 3);
    const tail = new Set(data.vocabulary.encode('wxyz'));
    const epoch = Math.floor((Math.floor(360 / 3) - 1) / 4);
    for (let index = 0; index < epoch; index++) {
      const batch = data.trainingBatch(index);
      for (const id of [...batch.inputTokens, ...batch.targets]) expect(tail.has(id)).toBe(false);
    }
    expect(data.validationBatches.length).toBeGreaterThan(0);
    for (const batch of data.validationBatches) for (const id of [...batch.inputTokens, ...batch.targets]) expect(tail.has(id)).toBe(true);
  });

  test('text: too short, empty, or with characters the model does not know', () => {
    expect(() => textData('abc', 8, 4)).toThrow(DataError);
    expect(() => textData('abc', 8, 4)).toThrow(/one batch of sequence length 8 × batch size 4 needs 36/);
    expect(() => textData('', 8, 4)).toThrow(/empty/);
    const vocabulary = CharacterVocabulary.fromText('abc ');
    expect(() => textData('abcxyz '.repeat(50), 4, 2, vocabulary)).toThrow(/3 characters the model's vocabulary of 4 lacks \("x", "y", "z"\)/);
    // A text the model's vocabulary covers uses that vocabulary, not its own.
    expect(textData('cab '.repeat(50), 4, 2, vocabulary).vocabulary).toBe(vocabulary);
  });

  test.each([1, 2, 4])('copy memory with %i symbols: symbols, blanks, marker, the same symbols; targets are the inputs shifted by one', (k) => {
    const sequence = copySequence(14, k, seededRandom(3));
    expect(sequence).toHaveLength(15);
    expect(sequence).toMatch(new RegExp(`^([${COPY_SYMBOLS}]{${k}})\\.{${14 - 2 * k}}${COPY_MARKER}\\1$`));

    const data = copyMemoryData(14, 3, k);
    expect(data.vocabulary).toBe(COPY_VOCABULARY);
    const batch = data.trainingBatch(0);
    const decode = (ids: ArrayLike<number>) => COPY_VOCABULARY.decode(ids);
    for (let b = 0; b < 3; b++) {
      const inputs = decode(Array.from({ length: 14 }, (_, t) => batch.inputTokens[t * 3 + b]));
      const targets = decode(Array.from({ length: 14 }, (_, t) => batch.targets[t * 3 + b]));
      expect(inputs.slice(1)).toBe(targets.slice(0, -1));
      expect(targets.slice(-k)).toBe(inputs.slice(0, k));
    }
    // The recall positions are exactly the last k targets of every sequence.
    expect(data.recallPositions).toHaveLength(k * 3);
    expect(Math.min(...data.recallPositions!)).toBe((14 - k) * 3);
    // Fresh sequences every step, the same validation every time.
    expect(Array.from(data.trainingBatch(1).inputTokens)).not.toEqual(Array.from(batch.inputTokens));
    expect(copyMemoryData(14, 3, k).validationBatches[0]).toEqual(data.validationBatches[0]);
    expect(data.sampleLength).toBe(15 - k);
    expect(data.defaultPrime).toMatch(new RegExp(`^[a-h]{${k}}$`));
    expect(data.description).toMatch(new RegExp(`^copy ${k} symbols? across ${14 - 2 * k} blanks`));
  });

  test('copy memory: the reference losses are the cost of the unpredictable symbols, with and without recall', () => {
    expect(copyLossFloor(24, 4, 'all')).toBeCloseTo((3 * Math.log(8)) / 24, 12);
    expect(copyLossFloor(24, 4, 'none')).toBeCloseTo((7 * Math.log(8)) / 24, 12);
    expect(copyLossFloor(20, 1, 'all')).toBe(0);
    expect(copyLossFloor(20, 1, 'none')).toBeCloseTo(Math.log(8) / 20, 12);
    const lines = copyMemoryData(24, 2, 2).references;
    expect(lines.map((reference) => reference.label)).toEqual(['uniform guess ln(10)', 'layout learnt, symbols guessed', 'perfect recall']);
    expect(lines.map((reference) => reference.loss)).toEqual([Math.log(10), copyLossFloor(24, 2, 'none'), copyLossFloor(24, 2, 'all')]);
  });

  test('copy memory: too short a sequence, an unknown length, a vocabulary without the task\'s characters', () => {
    expect(copyMinimumTimeSteps(2)).toBe(5);
    expect(() => copyMemoryData(8, 2, 4)).toThrow(/with 4 symbols needs a sequence length of at least 9/);
    expect(() => copyMemoryData(9, 2, 4)).not.toThrow();
    expect(() => copyMemoryData(20, 2, 3)).toThrow(/remembers 1, 2, 4 symbols; got 3/);
    expect(() => copyMemoryData(12, 2, 2, CharacterVocabulary.fromText('abc'))).toThrow(DataError);
  });
});

describe('first-run feedback, status and errors', () => {
  test('the first Train says it is compiling, then running the first step, then training; a software adapter is flagged', () => {
    const ready = reduce(initialViewState, READY);
    expect(ready.softwareAdapter).toBe(true);
    const compiling = run([{ type: 'user-train', training: TRAINING }, { type: 'stage', stage: 'compiling' }], ready);
    expect(compiling.stage).toBe('compiling');
    expect(compiling.status).toBe('compiling the GPU kernels…');
    const firstStep = run(
      [
        { type: 'model', info: MODEL },
        { type: 'training', step: 0, references: [], description: 'd' },
        { type: 'stage', stage: 'first-step' },
      ],
      compiling,
    );
    expect(firstStep.status).toBe('recording and running the first training step…');
    const training = reduce(firstStep, { type: 'progress', step: 1, loss: 3.8, tokensPerSecond: 100 });
    expect(training.stage).toBeUndefined();
    expect(training.status).toBe('training');
  });

  test('after Sample the status says the model is paused again, also when the sample failed', () => {
    const paused = pausedState();
    const sampling = reduce(paused, { type: 'user-sample' });
    expect(sampling.status).toBe('writing a sample…');
    const sampled = reduce(sampling, { type: 'sample', sample: { prime: 'T', text: 'o', temperature: 1, seed: 2, step: 10, origin: 'requested' } });
    expect(sampled.status).toBe('paused at step 10');
    expect(sampled.busy).toBeUndefined();
    const failed = run([{ type: 'user-sample' }, { type: 'sample-error', message: 'No sample: prime' }], paused);
    expect(failed.status).toBe('paused at step 10');
    // A sample written while training leaves the training status alone.
    const training = run([{ type: 'user-train', training: TRAINING }, { type: 'training', step: 10, references: [], description: 'd' }], paused);
    expect(reduce(training, { type: 'sample', sample: { prime: 'T', text: 'x', temperature: 1, seed: 1, step: 12, origin: 'training' } }).status).toBe('training');
  });

  test('samples are kept newest first, at most SAMPLE_HISTORY, and a new model starts a new history', () => {
    let state = pausedState();
    for (let step = 11; step < 11 + SAMPLE_HISTORY + 3; step++) {
      state = reduce(state, { type: 'sample', sample: { prime: 'T', text: String(step), temperature: 1, seed: 1, step, origin: 'training' } });
    }
    expect(state.samples).toHaveLength(SAMPLE_HISTORY);
    expect(state.samples[0].step).toBe(10 + SAMPLE_HISTORY + 3);
    expect(state.samples.map((sample) => sample.step)).toEqual([...state.samples.map((sample) => sample.step)].sort((a, b) => b - a));
    expect(reduce(state, { type: 'reset' }).samples).toEqual([]);
  });

  test('an old error is cleared by the next success: a loaded model, a saved file, a requested sample, or dismissing it', () => {
    const refused = run([{ type: 'user-load', fileName: 'bad.safetensors' }, { type: 'error', action: 'load', message: 'Could not load bad.safetensors', detail: 'header', fatal: false }], pausedState());
    expect(refused.error).toBe('Could not load bad.safetensors');
    expect(refused.errorDetail).toBe('header');
    expect(reduce(refused, { type: 'model', info: { ...MODEL, origin: 'file', fileName: 'good.safetensors' } }).error).toBeUndefined();
    expect(reduce(refused, { type: 'saved', what: 'weights', fileName: 'f', bytes: new ArrayBuffer(1) }).error).toBeUndefined();
    expect(reduce(refused, { type: 'user-sample' }).error).toBeUndefined();
    expect(reduce(refused, { type: 'user-dismiss-error' })).toMatchObject({ error: undefined, errorDetail: undefined });
  });

  test('a loaded checkpoint restores its step and its loss curves', () => {
    const history = { training: [{ step: 5, loss: 3.6 }, { step: 70, loss: 2.1 }], validation: [{ step: 50, loss: 2.4 }] };
    const loaded = run(
      [
        { type: 'user-load', fileName: 'run-step70-checkpoint.safetensors' },
        { type: 'model', info: { ...MODEL, origin: 'file', fileName: 'run-step70-checkpoint.safetensors', fileKind: 'checkpoint', step: 70, history } },
      ],
      reduce(initialViewState, READY),
    );
    expect(loaded.step).toBe(70);
    expect(loaded.trainLoss).toEqual(history.training);
    expect(loaded.validationLoss).toEqual(history.validation);
    expect(loaded).toMatchObject({ loss: 2.1, firstLoss: 3.6, validation: { step: 50, loss: 2.4 } });
    expect(loaded.status).toBe('loaded run-step70-checkpoint.safetensors at step 70');
    // Training on continues the curves.
    const more = run([{ type: 'user-train', training: TRAINING }, { type: 'progress', step: 75, loss: 2.0, tokensPerSecond: 1 }], loaded);
    expect(more.trainLoss.map((point) => point.step)).toEqual([5, 70, 75]);
  });

  test('the learning rate can change while training, and the worker confirms it on the model', () => {
    const training = run([READY, { type: 'user-train', training: TRAINING }, { type: 'model', info: MODEL }]);
    expect(controlsFor(training).learningRate).toBe(true);
    expect(reduce(training, { type: 'learning-rate', learningRate: 0.003 }).model?.learningRate).toBe(0.003);
    expect(reduce(initialViewState, { type: 'learning-rate', learningRate: 0.003 }).model).toBeUndefined();
  });

  test('model-file errors in plain words: the file named, what was kept, the library message as the detail', () => {
    const header = new SafetensorsError('the header length in the first 8 bytes is 16477981958796017512 bytes, above the limit of 100000000 bytes (options.maxHeaderBytes)');
    const withModel = fileLoadError('notes.txt', header, true);
    expect(withModel.message).toBe('Could not load notes.txt: it does not start like a safetensors file (another kind of file, or damaged at the start). The current model was kept.');
    expect(withModel.message).not.toMatch(/maxHeaderBytes|16477981958796017512/);
    expect(withModel.detail).toBe(header.message);
    const truncated = fileLoadError('m.safetensors', new SafetensorsError("tensor 'weight' needs bytes 0..400 of the data section, but the file has only 20 data bytes — the file is truncated"), false);
    expect(truncated.message).toBe('Could not load m.safetensors: it is cut short (the download or copy may not have finished). Nothing was changed.');
    expect(textReadError('https://example.invalid/book.txt', new TypeError('Failed to fetch')).message).toMatch(/^Could not fetch https:\/\/example\.invalid\/book\.txt: .*CORS\)\. The text was kept\.$/);
  });
});

describe('the ready corpora and the chart', () => {
  test('the arithmetic text is sums and differences that are right, the same on every visit', () => {
    const text = arithmeticText(200);
    expect(text).toBe(arithmeticText(200));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(200);
    for (const line of lines) {
      const match = /^(\d+)([+-])(\d+)=(-?\d+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, a, op, b, result] = match!;
      expect(Number(result)).toBe(op === '+' ? Number(a) + Number(b) : Number(a) - Number(b));
    }
  });

  test('the grammar text is sentences of its words, capitalised, the same on every visit', () => {
    const text = grammarText(50);
    expect(text).toBe(grammarText(50));
    const sentences = text.split(/(?<=\.)\s+/).filter((sentence) => sentence.trim() !== '');
    expect(sentences).toHaveLength(50);
    for (const sentence of sentences) expect(sentence).toMatch(/^[A-Z][a-z ,]+\.$/);
    expect(new Set(text.toLowerCase().match(/[a-z]+/g)).size).toBeLessThanOrEqual(31);
  });

  test('every ready corpus loads a text long enough to train on with the default settings', async () => {
    expect(CORPORA.map((corpus) => corpus.id)).toEqual(['essay', 'source', 'arithmetic', 'grammar']);
    for (const corpus of CORPORA.filter((c) => c.id !== 'source')) {
      const text = await corpus.load();
      expect(() => textData(text, 32, 16), corpus.id).not.toThrow();
    }
  });

  test('smoothing: weight 0 is the raw curve; the bias-corrected average starts at the first value and follows a constant', () => {
    expect(smoothed([3, 2, 1], 0)).toEqual([3, 2, 1]);
    const curve = smoothed([4, 4, 4, 1], 0.6);
    expect(curve[0]).toBeCloseTo(4, 12);
    expect(curve[2]).toBeCloseTo(4, 12);
    expect(curve[3]).toBeGreaterThan(1);
    expect(curve[3]).toBeLessThan(4);
  });

  test('a checkpoint\'s loss history round-trips through its metadata, thinned past MAX_HISTORY_POINTS, and cut at a step', () => {
    const vocabulary = CharacterVocabulary.fromText('ab');
    const demo: DemoMetadata = { task: 'text', defaultPrime: 'a', sampleLength: 10, timeSteps: 8, batchSize: 2, learningRate: 0.01, steps: 20 };
    const history = { training: [{ step: 5, loss: 3.5 }, { step: 10, loss: 3.25 }], validation: [{ step: 10, loss: 3.4 }] };
    const metadata = modelFileMetadata(vocabulary, demo, history);
    expect(readHistory(metadata[METADATA_HISTORY])).toEqual(history);
    expect(modelFileMetadata(vocabulary, demo)[METADATA_HISTORY]).toBeUndefined();
    expect(readHistory('not json')).toEqual({ training: [], validation: [] });
    expect(historyUpTo(history, 5)).toEqual({ training: [{ step: 5, loss: 3.5 }], validation: [] });
    const long = { training: Array.from({ length: 3 * MAX_HISTORY_POINTS + 1 }, (_, step) => ({ step, loss: 1 })), validation: [] };
    const thinned = readHistory(modelFileMetadata(vocabulary, demo, long)[METADATA_HISTORY]).training;
    expect(thinned.length).toBeLessThanOrEqual(MAX_HISTORY_POINTS + 1);
    expect(thinned[0].step).toBe(0);
    expect(thinned.at(-1)!.step).toBe(3 * MAX_HISTORY_POINTS);
  });
});
