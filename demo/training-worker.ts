/**
 * The demo's training worker: owns the GPU context and the model, and answers
 * the page's messages (protocol.ts). Training runs here so that the page never
 * waits on the GPU; between steps the worker checks for Pause, and once paused
 * it submits no more work. Only the library's public entry is used.
 */
import {
  CharacterVocabulary,
  createGpuContext,
  decodeSafetensors,
  type GpuContext,
  InvalidArgumentError,
  RnnModel,
  SafetensorsError,
  sampleText,
  type StepResult,
} from '../src/index.ts';
import { correctPredictions, crossEntropySum } from './metrics.ts';
import {
  type DataSource,
  type DemoMetadata,
  METADATA_DEMO,
  METADATA_VOCABULARY,
  type ModelInfo,
  type ModelSettings,
  type PageMessage,
  type SampleSettings,
  type TaskKind,
  type TrainingSettings,
  type WorkerMessage,
} from './protocol.ts';
import { copyMemoryData, DataError, type TrainingData, textData, TEXT_SAMPLE_LENGTH } from './training-data.ts';

/** Steps between loss reads (a read waits for the GPU, so not every step). */
const LOG_EVERY = 5;
/** Steps between validations. */
const VALIDATE_EVERY = 25;
/** Milliseconds between samples while training. */
const SAMPLE_EVERY_MS = 4000;
/** Seed of new models' weights. */
const MODEL_SEED = 1;

interface Run {
  model: RnnModel;
  vocabulary: CharacterVocabulary;
  settings: ModelSettings;
  task: TaskKind;
  origin: 'new' | 'file';
  fileName?: string;
  defaultPrime: string;
  sampleLength: number;
  /** Copy task: symbols remembered. */
  copySymbols?: number;
  /** The data of the latest Train. */
  data?: TrainingData;
  training?: TrainingSettings;
}

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
let pauseRequested = false;
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

/** True when the GPU context can no longer be used. */
function gpuFailed(): boolean {
  try {
    context?.throwIfFaulted();
    return false;
  } catch {
    return true;
  }
}

function modelInfo(current: Run, savedTraining?: Partial<TrainingSettings>): ModelInfo {
  return {
    ...current.settings,
    vocabularySize: current.vocabulary.size,
    parameterShapes: current.model.parameterShapes,
    task: current.task,
    origin: current.origin,
    fileName: current.fileName,
    savedTraining,
    copySymbols: current.copySymbols,
  };
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

async function validate(current: Run, data: TrainingData): Promise<void> {
  if (data.validationBatches.length === 0) return;
  const classes = current.vocabulary.size;
  let lossSum = 0;
  let positions = 0;
  let correct = 0;
  let recalled = 0;
  for (const batch of data.validationBatches) {
    const { logits } = await current.model.predict({ timeSteps: batch.timeSteps, batchSize: batch.batchSize, inputTokens: batch.inputTokens });
    lossSum += crossEntropySum(logits, batch.targets, classes);
    positions += batch.targets.length;
    if (data.recallPositions) {
      correct += correctPredictions(logits, batch.targets, classes, data.recallPositions);
      recalled += data.recallPositions.length;
    }
  }
  post({
    type: 'validation',
    step: current.model.stepCount,
    loss: lossSum / positions,
    ...(recalled > 0 ? { recallAccuracy: correct / recalled } : {}),
  });
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
    const model = await RnnModel.create(gpu, {
      cell,
      layers,
      hiddenSize,
      vocabularySize: data.vocabulary.size,
      seed: MODEL_SEED,
      optimizer: { type: optimizer, learningRate: message.training.learningRate },
    });
    current = { model, vocabulary: data.vocabulary, settings: message.model, task: data.kind, origin: 'new', defaultPrime: data.defaultPrime, sampleLength: data.sampleLength };
    run = current;
    post({ type: 'model', info: modelInfo(current) });
  }
  const { model } = current;
  model.setLearningRate(message.training.learningRate);
  current.data = data;
  current.training = message.training;
  current.task = data.kind;
  current.copySymbols = message.source.kind === 'copy-memory' ? message.source.symbols : undefined;
  current.defaultPrime = data.defaultPrime;
  current.sampleLength = data.sampleLength;
  post({ type: 'training', step: model.stepCount, references: data.references, description: data.description });

  const tokensPerStep = data.timeSteps * data.batchSize;
  const startStep = model.stepCount;
  const started = performance.now();
  const readLoss = (result: StepResult) => result.loss().then((loss) => ({ step: result.step, loss }));
  const show = ({ step, loss }: { step: number; loss: number }) =>
    post({ type: 'progress', step, loss, tokensPerSecond: ((step - startStep) * tokensPerStep) / ((performance.now() - started) / 1000) });

  // A logged step's loss is read while the next steps run and posted one interval later,
  // so at most two intervals of steps are ever queued on the GPU.
  let pendingLoss: Promise<{ step: number; loss: number }> | undefined;
  let last: StepResult | undefined;
  let lastRead = 0;
  let lastSample = performance.now();
  while (!pauseRequested) {
    last = model.trainStep(data.trainingBatch(model.stepCount));
    if (last.step % LOG_EVERY === 0 || last.step === startStep + 1) {
      if (pendingLoss) show(await pendingLoss);
      pendingLoss = readLoss(last);
      // Awaited one interval later; until then a failed read must not count as unhandled.
      pendingLoss.catch(() => undefined);
      lastRead = last.step;
      if (last.step % VALIDATE_EVERY === 0) await validate(current, data);
      if (performance.now() - lastSample > SAMPLE_EVERY_MS) {
        await writeSample(current, 'training');
        lastSample = performance.now();
      }
      await yieldToMessages();
    }
  }
  if (pendingLoss) show(await pendingLoss);
  if (last && last.step !== lastRead) show(await readLoss(last));
  // Every submitted step has finished: the loss reads waited for them.
  post({ type: 'paused', step: model.stepCount });
  await validate(current, data);
  await writeSample(current, 'paused');
}

async function save(): Promise<void> {
  const current = run;
  if (!current) throw new DataError('There is no model to save yet: press Train first.');
  const demo: DemoMetadata = {
    task: current.task,
    defaultPrime: current.defaultPrime,
    sampleLength: current.sampleLength,
    timeSteps: current.training?.timeSteps ?? 0,
    batchSize: current.training?.batchSize ?? 0,
    learningRate: current.training?.learningRate ?? 0,
    steps: current.model.stepCount,
    ...(current.copySymbols ? { copySymbols: current.copySymbols } : {}),
  };
  const weights = await current.model.saveWeights({ [METADATA_VOCABULARY]: current.vocabulary.characters.join(''), [METADATA_DEMO]: JSON.stringify(demo) });
  const bytes = weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength ? weights : weights.slice();
  const fileName = `webgpu-rnn-${current.settings.cell}-${current.settings.layers}x${current.settings.hiddenSize}-${current.task}-step${current.model.stepCount}.safetensors`;
  post({ type: 'saved', fileName, bytes: bytes.buffer as ArrayBuffer }, [bytes.buffer as ArrayBuffer]);
}

function demoMetadata(text: string | undefined): Partial<DemoMetadata> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<DemoMetadata>) : {};
  } catch {
    return {};
  }
}

async function load(message: Extract<PageMessage, { type: 'load' }>): Promise<void> {
  const bytes = new Uint8Array(message.bytes);
  // Read the metadata first: a file the demo cannot decode text with is refused before any GPU work.
  const { metadata } = decodeSafetensors(bytes);
  const characters = metadata[METADATA_VOCABULARY];
  if (characters === undefined) {
    throw new DataError(
      `${message.fileName} has no '${METADATA_VOCABULARY}' metadata: the demo needs the characters the model was trained on to encode a prime and decode samples. ` +
        'Load a model saved by this page (or add the vocabulary, its characters in id order, to the file\'s metadata).',
    );
  }
  const vocabulary = new CharacterVocabulary(Array.from(characters));
  const model = await RnnModel.fromWeights(context!, bytes, { optimizer: { type: message.optimizer, learningRate: message.learningRate } });
  const { cell, layers, hiddenSize, inputKind, inputSize, outputSize } = model.config;
  if (inputKind !== 'tokens' || inputSize !== vocabulary.size || outputSize !== vocabulary.size) {
    model.dispose();
    throw new DataError(
      `${message.fileName} does not fit its vocabulary: the model takes ${inputSize} ${inputKind} inputs and predicts ${outputSize} classes, ` +
        `the vocabulary has ${vocabulary.size} characters.`,
    );
  }
  const saved = demoMetadata(metadata[METADATA_DEMO]);
  const task: TaskKind = saved.task === 'copy-memory' ? 'copy-memory' : 'text';
  run?.model.dispose();
  run = {
    model,
    vocabulary,
    settings: { cell, layers, hiddenSize, optimizer: message.optimizer },
    task,
    origin: 'file',
    fileName: message.fileName,
    defaultPrime: typeof saved.defaultPrime === 'string' && saved.defaultPrime !== '' ? saved.defaultPrime : vocabulary.characters[0],
    sampleLength: typeof saved.sampleLength === 'number' && saved.sampleLength > 0 ? saved.sampleLength : TEXT_SAMPLE_LENGTH,
    copySymbols: task === 'copy-memory' && typeof saved.copySymbols === 'number' ? saved.copySymbols : undefined,
  };
  const savedTraining: Partial<TrainingSettings> = {};
  if (typeof saved.timeSteps === 'number' && saved.timeSteps > 0) savedTraining.timeSteps = saved.timeSteps;
  if (typeof saved.batchSize === 'number' && saved.batchSize > 0) savedTraining.batchSize = saved.batchSize;
  if (typeof saved.learningRate === 'number' && saved.learningRate > 0) savedTraining.learningRate = saved.learningRate;
  post({ type: 'model', info: modelInfo(run, savedTraining) });
  await writeSample(run, 'loaded', message.sampling);
}

async function handle(message: PageMessage): Promise<void> {
  try {
    if (!context) throw new Error('The worker has no GPU context.');
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
        return await writeSample(run, 'requested', message.sampling);
      case 'save':
        return await save();
      case 'load':
        return await load(message);
      case 'pause':
      case 'set-sampling':
        return;
    }
  } catch (error) {
    const fatal = gpuFailed();
    // The user's own mistakes are shown on the page; anything else is a fault worth a console entry.
    if (fatal || !isUserError(error)) console.error(error);
    post({ type: 'error', action: message.type, message: messageOf(error), fatal });
  }
}

scope.addEventListener('message', (event) => {
  const message = event.data;
  // Train and Pause take effect in the order they were sent, even while Train waits in the queue.
  if (message.type === 'train') pauseRequested = false;
  if (message.type === 'pause') {
    pauseRequested = true;
    return;
  }
  if (message.type === 'set-sampling') {
    sampling = message.sampling;
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
  context.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    pauseRequested = true;
    post({ type: 'error', action: 'startup', message: `The GPU device was lost (${info.reason}): ${info.message || 'no message'}. Reload the page to start again.`, fatal: true });
  });
  const { vendor, architecture, featureLevel } = context.adapter;
  post({ type: 'ready', adapter: { description: context.description, vendor, architecture, featureLevel } });
}

// Messages that arrive before the GPU is ready wait for it.
queue = start().catch((error: unknown) => {
  console.error(error);
  post({ type: 'unavailable', message: messageOf(error) });
});
