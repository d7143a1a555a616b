/**
 * The demo's training worker: owns the GPU context and the model, and answers
 * the page's messages (protocol.ts). Training runs here so that the page never
 * waits on the GPU; it trains through the library's loop, train(), which checks
 * for Pause between steps, and once paused it submits no more work. Only the
 * library's public entry is used.
 *
 * It keeps the latest checkpoint of the model in memory (see protocol.ts): when
 * the GPU context faults, the page offers to recover from it on a new context.
 */
import {
  type CharacterVocabulary,
  createGpuContext,
  decodeSafetensors,
  type GpuContext,
  InvalidArgumentError,
  RnnModel,
  SafetensorsError,
  sampleText,
  type StreamBatches,
  train as trainModel,
} from '../src/index.ts';
import { correctPredictions } from './metrics.ts';
import { fileLoadError, keptSentence, type PlainError } from './plain-errors.ts';
import type {
  AdapterInfo,
  DataSource,
  FaultCause,
  ModelSettings,
  PageMessage,
  SampleSettings,
  SaveKind,
  TrainingSettings,
  WorkerMessage,
} from './protocol.ts';
import { historyUpTo, METADATA_DEMO, modelFileMetadata, readDemoMetadata, vocabularyFromMetadata } from './saved-model.ts';
import { copyMemoryData, DataError, type TrainingData, textData } from './training-data.ts';
import { demoMetadataOf, modelInfo, readModelFile, type Run, saveModelFile } from './worker-run.ts';

/** Steps between loss reads (a read waits for the GPU, so not every step). */
const LOG_EVERY = 5;
/** Steps between validations. */
const VALIDATE_EVERY = 25;
/** Milliseconds between samples while training. */
const SAMPLE_EVERY_MS = 4000;
/** Seed of new models' weights. */
const MODEL_SEED = 1;
/** Steps between in-memory checkpoints while training (also taken at each pause and for a new or loaded model). */
const CHECKPOINT_EVERY = 50;
/** How long a failed GPU call waits for device.lost before it counts as an ordinary error. */
const LOSS_REPORT_WAIT_MS = 250;

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageMessage>) => void): void;
}
const scope = self as unknown as WorkerScope;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

let context: GpuContext | undefined;
let run: Run | undefined;
/** Set when `context` faulted: nothing runs until `recover` replaces it. */
let fault: { cause: FaultCause; message: string } | undefined;
/** Pause: train() stops after the step in progress. A Train sent after a Pause gets a new one. */
let pause = new AbortController();
let sampling: SampleSettings = { prime: '', temperature: 0.8, seed: 1 };
/** Messages other than pause and set-sampling, handled one at a time in order. */
let queue: Promise<void> = Promise.resolve();

/** Errors that are the user's to fix (bad text, bad file, bad settings): shown on the page, not logged as faults. */
function isUserError(error: unknown): boolean {
  return error instanceof DataError || error instanceof InvalidArgumentError || error instanceof SafetensorsError;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error the context throws from now on, if it has faulted. */
function faultOf(gpu: GpuContext): string | undefined {
  try {
    gpu.throwIfFaulted();
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** Names of adapters that run on the CPU. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i;

function adapterInfo(gpu: GpuContext): AdapterInfo {
  const { kind, vendor, architecture, description, featureLevel } = gpu.adapter;
  // Chrome says so itself where it can (GPUAdapterInfo.isFallbackAdapter); the names cover the rest.
  const fallback = (gpu.device as GPUDevice & { adapterInfo?: { isFallbackAdapter?: boolean } }).adapterInfo?.isFallbackAdapter === true;
  const software = fallback || kind === 'swiftshader' || kind === 'llvmpipe' || kind === 'software' || SOFTWARE_ADAPTER.test(`${vendor} ${architecture} ${description}`);
  return { description: gpu.description, vendor, architecture, featureLevel, software };
}

/** Stops everything and tells the page, once per context, that `gpu` can run nothing more. */
function reportFault(gpu: GpuContext, cause: FaultCause, message: string): void {
  if (gpu !== context || fault) return;
  fault = { cause, message };
  pause.abort();
  post({ type: 'device-lost', cause, step: run?.model.stepCount, checkpointStep: run?.checkpoint?.step, message });
}

/** Reports the device's loss when it happens (a driver reset, a GPU process crash, or simulate-device-loss). */
function watchDevice(gpu: GpuContext): void {
  gpu.device.lost.then((info) => {
    // GpuContext's own handler ran first and holds the error its models now throw.
    reportFault(gpu, 'device-lost', faultOf(gpu) ?? `The GPU device was lost (${info.reason}): ${info.message || 'no message'}.`);
  });
}

/**
 * Whether an error thrown by GPU work came from a faulted context. A read in
 * flight may fail before device.lost resolves, so a short wait for it first.
 */
async function faultExplains(gpu: GpuContext): Promise<boolean> {
  if (fault) return true;
  await Promise.race([gpu.device.lost, new Promise((resolve) => setTimeout(resolve, LOSS_REPORT_WAIT_MS))]);
  if (fault) return true;
  const message = faultOf(gpu);
  if (message === undefined) return false;
  reportFault(gpu, 'gpu-error', message);
  return true;
}

function prepareData(source: DataSource, training: TrainingSettings, vocabulary?: CharacterVocabulary): TrainingData {
  return source.kind === 'text'
    ? textData(source.text, training.timeSteps, training.batchSize, vocabulary)
    : copyMemoryData(training.timeSteps, training.batchSize, source.symbols, vocabulary);
}

function sameModel(a: ModelSettings, b: ModelSettings): boolean {
  return a.cell === b.cell && a.layers === b.layers && a.hiddenSize === b.hiddenSize && a.optimizer === b.optimizer;
}

function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function writeSample(current: Run, origin: 'training' | 'paused' | 'loaded' | 'requested', settings = sampling): Promise<void> {
  const prime = settings.prime || current.defaultPrime;
  try {
    const text = await sampleText(current.model, current.vocabulary, { prime, length: current.sampleLength, temperature: settings.temperature, seed: settings.seed });
    post({ type: 'sample', sample: { prime, text, temperature: settings.temperature, seed: settings.seed, step: current.model.stepCount, origin } });
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    post({ type: 'sample-error', message: `No sample: ${error.message}` });
  }
}

/** Copy task: the share of recalled symbols predicted right on the held-out batches (RnnModel.predict: the logits, read back). */
async function recallAccuracy(current: Run, data: TrainingData): Promise<number | undefined> {
  if (!data.recallPositions) return undefined;
  let correct = 0;
  let recalled = 0;
  for (const batch of data.validationBatches) {
    const { logits } = await current.model.predict({ timeSteps: batch.timeSteps, batchSize: batch.batchSize, inputTokens: batch.inputTokens });
    correct += correctPredictions(logits, batch.targets, current.vocabulary.size, data.recallPositions);
    recalled += data.recallPositions.length;
  }
  return recalled > 0 ? correct / recalled : undefined;
}

/** The training batches as train() takes them: batch `step` at step `step` (text: modulo an epoch; copy: fresh every step). */
function trainingStreams(data: TrainingData): StreamBatches {
  return { timeSteps: data.timeSteps, batchSize: data.batchSize, batchesPerEpoch: Number.MAX_SAFE_INTEGER, batch: (index) => data.trainingBatch(index) };
}

/** The fixed held-out batches as train() validates on them (each from zero states), if any. */
function validationStreams(data: TrainingData): StreamBatches | undefined {
  const batches = data.validationBatches;
  if (batches.length === 0) return undefined;
  return { timeSteps: batches[0].timeSteps, batchSize: batches[0].batchSize, batchesPerEpoch: batches.length, batch: (index) => batches[index] };
}

/** The memory each model last reported to the page, so that it is sent again only when it changed. */
const reportedMemory = new WeakMap<RnnModel, string>();

/** Tells the page the GPU memory the run's model holds (RnnModel.gpuMemory), if it changed since it last did. */
function reportMemory(current: Run): void {
  const memory = current.model.gpuMemory();
  const key = JSON.stringify(memory);
  if (reportedMemory.get(current.model) === key) return;
  reportedMemory.set(current.model, key);
  post({ type: 'memory', memory });
}

/** Replaces the run's in-memory checkpoint with one of its current step (a readback: waits for the queued steps). */
async function takeCheckpoint(current: Run): Promise<void> {
  const step = current.model.stepCount;
  if (current.checkpoint?.step === step) return;
  const bytes = await current.model.saveCheckpoint(modelFileMetadata(current.vocabulary, demoMetadataOf(current), current.history));
  current.checkpoint = { bytes, step };
  post({ type: 'checkpoint', step });
}

async function train(message: Extract<PageMessage, { type: 'train' }>): Promise<void> {
  sampling = message.sampling;
  const gpu = context!;
  let current = run;
  if (current && !sameModel(current.settings, message.model)) {
    throw new DataError('The cell, layers, hidden size or optimizer differ from the current model: press Reset to start a new one.');
  }
  const data = prepareData(message.source, message.training, current?.vocabulary);
  if (!current) {
    const { cell, layers, hiddenSize, optimizer } = message.model;
    post({ type: 'stage', stage: 'compiling' });
    const model = await RnnModel.create(gpu, {
      cell,
      layers,
      hiddenSize,
      vocabularySize: data.vocabulary.size,
      seed: MODEL_SEED,
      optimizer: { type: optimizer, learningRate: message.training.learningRate },
    });
    current = {
      model,
      vocabulary: data.vocabulary,
      settings: message.model,
      task: data.kind,
      origin: 'new',
      defaultPrime: data.defaultPrime,
      sampleLength: data.sampleLength,
      history: { training: [], validation: [] },
      shapesRun: new Set(),
    };
    run = current;
    post({ type: 'model', info: modelInfo(current) });
    reportMemory(current);
    await takeCheckpoint(current);
  }
  const { model } = current;
  model.setLearningRate(message.training.learningRate);
  post({ type: 'learning-rate', learningRate: message.training.learningRate });
  current.data = data;
  current.training = message.training;
  current.task = data.kind;
  current.copySymbols = message.source.kind === 'copy-memory' ? message.source.symbols : undefined;
  current.defaultPrime = data.defaultPrime;
  current.sampleLength = data.sampleLength;
  post({ type: 'training', step: model.stepCount, references: data.references, description: data.description });
  const shape = `${data.timeSteps}×${data.batchSize}`;
  if (!current.shapesRun.has(shape)) {
    // The first step at a batch shape records its dispatch plan and creates its pipelines' bind groups.
    post({ type: 'stage', stage: 'first-step' });
    current.shapesRun.add(shape);
  }

  // The library's training loop, until Pause: losses every LOG_EVERY steps (each read waits for the GPU, and
  // then the worker takes its messages), validation every VALIDATE_EVERY, in-memory checkpoints every
  // CHECKPOINT_EVERY; a sample every SAMPLE_EVERY_MS; the learning rate set between steps acts at once.
  const history = current.history;
  const trained = current; // `current` as a constant, for the callbacks
  let lastSample = performance.now();
  const validation = validationStreams(data);
  await trainModel(model, {
    batches: trainingStreams(data),
    steps: Number.MAX_SAFE_INTEGER,
    carry: false,
    progressEvery: LOG_EVERY,
    onProgress: async ({ step, loss, charactersPerSecond }) => {
      history.training.push({ step, loss });
      post({ type: 'progress', step, loss, tokensPerSecond: charactersPerSecond });
      // The first step at a batch shape builds its plan, a validation its own.
      reportMemory(trained);
      if (performance.now() - lastSample > SAMPLE_EVERY_MS) {
        await writeSample(trained, 'training');
        lastSample = performance.now();
      }
      await yieldToMessages();
    },
    ...(validation
      ? {
          validation,
          validateEvery: VALIDATE_EVERY,
          onValidation: async ({ step, loss }) => {
            const recall = await recallAccuracy(trained, data);
            if (history.validation.at(-1)?.step !== step) history.validation.push({ step, loss });
            post({ type: 'validation', step, loss, ...(recall !== undefined ? { recallAccuracy: recall } : {}) });
          },
        }
      : {}),
    checkpointEvery: CHECKPOINT_EVERY,
    onCheckpoint: () => takeCheckpoint(trained),
    signal: pause.signal,
  });
  // Every submitted step has finished: the checkpoint's readback waited for them. (Or the device was lost meanwhile.)
  gpu.throwIfFaulted();
  post({ type: 'paused', step: model.stepCount });
  await takeCheckpoint(current);
  await writeSample(current, 'paused');
  reportMemory(current);
}

/**
 * Save: a checkpoint (weights, optimizer moments, step, and the loss history in
 * its metadata: Load resumes exactly there) or the weights alone (for PyTorch,
 * or to generate text elsewhere).
 */
async function save(what: SaveKind): Promise<void> {
  if (!run) throw new DataError('There is no model to save yet: press Train first.');
  const { fileName, bytes } = await saveModelFile(run, what);
  post({ type: 'saved', what, fileName, bytes }, [bytes]);
}

async function load(message: Extract<PageMessage, { type: 'load' }>): Promise<void> {
  const { loaded, savedTraining } = await readModelFile(context!, message);
  run?.model.dispose();
  run = loaded;
  const { history } = loaded;
  post({ type: 'model', info: modelInfo(loaded, savedTraining, { training: history.training.slice(), validation: history.validation.slice() }) });
  await takeCheckpoint(loaded);
  await writeSample(loaded, 'loaded', message.sampling);
  reportMemory(loaded);
}

/**
 * After a fault: a new GPU context, and the model restored from the run's last
 * checkpoint (weights, optimizer moments, step count; its vocabulary and demo
 * settings from the checkpoint's metadata). The run is paused at the
 * checkpoint's step: Train continues from there. Without a checkpoint (no model
 * yet) only the context is new.
 */
async function recover(): Promise<void> {
  if (!fault) throw new DataError('The GPU is working: there is nothing to recover.');
  const lost = run;
  const fresh = await createGpuContext();
  let restored: Run | undefined;
  if (lost?.checkpoint) {
    try {
      const { bytes, step } = lost.checkpoint;
      const model = await RnnModel.fromCheckpoint(fresh, bytes);
      const { metadata } = decodeSafetensors(bytes);
      const saved = readDemoMetadata(metadata[METADATA_DEMO]);
      restored = {
        ...lost,
        model,
        vocabulary: vocabularyFromMetadata(metadata) ?? lost.vocabulary,
        task: saved.task ?? lost.task,
        defaultPrime: saved.defaultPrime ?? lost.defaultPrime,
        sampleLength: saved.sampleLength ?? lost.sampleLength,
        copySymbols: saved.copySymbols,
        checkpoint: { bytes, step },
        // The losses after the checkpoint are gone with the device.
        history: historyUpTo(lost.history, step),
        shapesRun: new Set(),
      };
    } catch (error) {
      fresh.destroy();
      throw error;
    }
  }
  const old = context;
  context = fresh;
  run = restored;
  fault = undefined;
  watchDevice(fresh);
  // Their buffers belonged to the lost device; destroying them frees what the browser still holds.
  lost?.model.dispose();
  old?.destroy();
  post({ type: 'recovered', adapter: adapterInfo(fresh), ...(restored ? { step: restored.model.stepCount, info: modelInfo(restored) } : {}) });
  if (restored) reportMemory(restored);
}

async function handle(message: PageMessage): Promise<void> {
  const gpu = context;
  const hadModel = run !== undefined;
  try {
    if (!gpu) throw new Error('The worker has no GPU context.');
    if (message.type === 'recover') return await recover();
    if (fault) throw new DataError('The GPU stopped working: press Recover first.');
    switch (message.type) {
      case 'train':
        return await train(message);
      case 'reset':
        run?.model.dispose();
        run = undefined;
        post({ type: 'reset' });
        return;
      case 'sample':
        if (!run) throw new DataError('There is no model to sample from yet: press Train first.');
        await writeSample(run, 'requested', message.sampling);
        return reportMemory(run);
      case 'save':
        return await save(message.what);
      case 'load':
        return await load(message);
      case 'pause':
      case 'set-sampling':
      case 'set-learning-rate':
      case 'simulate-device-loss':
        return;
    }
  } catch (error) {
    // A faulted context explains the failure: the page shows the device-lost banner instead.
    if (gpu && message.type !== 'recover' && !isUserError(error) && (await faultExplains(gpu))) return;
    // The user's own mistakes are shown on the page; anything else is a fault worth a console entry.
    if (!isUserError(error)) console.error(error);
    const plain: PlainError =
      message.type !== 'load'
        ? { message: messageOf(error) }
        : error instanceof DataError
          ? { message: `${error.message} ${keptSentence(hadModel)}` }
          : fileLoadError(message.fileName, error, hadModel);
    post({ type: 'error', action: message.type, message: plain.message, ...(plain.detail ? { detail: plain.detail } : {}), fatal: false });
  }
}

/** The learning rate from the next step on; acts at once, also while training. */
function setLearningRate(learningRate: number): void {
  if (!run || fault) return;
  try {
    run.model.setLearningRate(learningRate);
  } catch (error) {
    post({ type: 'error', action: 'set-learning-rate', message: messageOf(error), fatal: false });
    return;
  }
  if (run.training) run.training = { ...run.training, learningRate };
  post({ type: 'learning-rate', learningRate });
}

scope.addEventListener('message', (event) => {
  const message = event.data;
  // Train and Pause take effect in the order they were sent, even while Train waits in the queue.
  if (message.type === 'train' && pause.signal.aborted) pause = new AbortController();
  if (message.type === 'pause') {
    pause.abort();
    return;
  }
  if (message.type === 'set-sampling') {
    sampling = message.sampling;
    return;
  }
  if (message.type === 'set-learning-rate') {
    setLearningRate(message.learningRate);
    return;
  }
  if (message.type === 'simulate-device-loss') {
    // The device itself, not context.destroy(): the context then reports it as any lost device.
    context?.device.destroy();
    return;
  }
  queue = queue.then(() => handle(message));
});

async function start(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    post({
      type: 'unavailable',
      message: 'This browser offers WebGPU to pages but not to workers (navigator.gpu is missing in the worker); the demo trains in a worker.',
    });
    return;
  }
  try {
    context = await createGpuContext();
  } catch (error) {
    post({ type: 'unavailable', message: `No WebGPU adapter: ${messageOf(error)}` });
    return;
  }
  watchDevice(context);
  post({ type: 'ready', adapter: adapterInfo(context) });
}

// Messages that arrive before the GPU is ready wait for it.
queue = start().catch((error: unknown) => {
  console.error(error);
  post({ type: 'unavailable', message: messageOf(error) });
});
