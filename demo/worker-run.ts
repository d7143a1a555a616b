/**
 * What the training worker holds about its model (a Run), and model files in
 * and out: Save's checkpoint or weights file, and a loaded file turned into a
 * Run (a checkpoint resumes its optimizer, step and loss history; a weights file
 * starts at step 0). The worker owns the state; these functions only build.
 */
import { type CharacterVocabulary, decodeSafetensors, type GpuContext, RnnModel } from '../src/index.ts';
import type { LossHistory, ModelInfo, ModelSettings, PageMessage, SaveKind, TaskKind, TrainingSettings } from './protocol.ts';
import {
  type DemoMetadata,
  historyUpTo,
  METADATA_DEMO,
  METADATA_HISTORY,
  modelFileMetadata,
  readDemoMetadata,
  readHistory,
  vocabularyFromMetadata,
} from './saved-model.ts';
import { DataError, type TrainingData, TEXT_SAMPLE_LENGTH } from './training-data.ts';

/** The whole training state of a model at one step (RnnModel.saveCheckpoint), vocabulary and demo settings in its metadata. */
export interface Checkpoint {
  bytes: Uint8Array;
  step: number;
}

export interface Run {
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
  /** The latest in-memory checkpoint of `model`. */
  checkpoint?: Checkpoint;
  /** Every loss shown for this model (also those before it was saved and loaded), for checkpoints. */
  history: LossHistory;
  /** A loaded file: which kind. */
  fileKind?: SaveKind;
  /** Whether the model has run a step at the current batch shape (the first one records the plan: slow). */
  shapesRun: Set<string>;
}

export function modelInfo(current: Run, savedTraining?: Partial<TrainingSettings>, history?: LossHistory): ModelInfo {
  return {
    step: current.model.stepCount,
    learningRate: current.model.fullConfig.optimizer?.learningRate ?? 0,
    fileKind: current.fileKind,
    ...(history ? { history } : {}),
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

export function demoMetadataOf(current: Run): DemoMetadata {
  return {
    task: current.task,
    defaultPrime: current.defaultPrime,
    sampleLength: current.sampleLength,
    timeSteps: current.training?.timeSteps ?? 0,
    batchSize: current.training?.batchSize ?? 0,
    learningRate: current.training?.learningRate ?? 0,
    steps: current.model.stepCount,
    ...(current.copySymbols ? { copySymbols: current.copySymbols } : {}),
  };
}

/**
 * Save: a checkpoint (weights, optimizer moments, step, and the loss history in
 * its metadata: Load resumes exactly there) or the weights alone (for PyTorch,
 * or to generate text elsewhere). The bytes as a transferable ArrayBuffer.
 */
export async function saveModelFile(current: Run, what: SaveKind): Promise<{ fileName: string; bytes: ArrayBuffer }> {
  const metadata = modelFileMetadata(current.vocabulary, demoMetadataOf(current), what === 'checkpoint' ? current.history : undefined);
  const file = what === 'checkpoint' ? await current.model.saveCheckpoint(metadata) : await current.model.saveWeights(metadata);
  const bytes = file.byteOffset === 0 && file.byteLength === file.buffer.byteLength ? file : file.slice();
  const { cell, layers, hiddenSize } = current.settings;
  const fileName = `webgpu-rnn-${cell}-${layers}x${hiddenSize}-${current.task}-step${current.model.stepCount}-${what}.safetensors`;
  return { fileName, bytes: bytes.buffer as ArrayBuffer };
}

export async function readModelFile(
  context: GpuContext,
  message: Extract<PageMessage, { type: 'load' }>,
): Promise<{ loaded: Run; savedTraining: Partial<TrainingSettings> }> {
  const bytes = new Uint8Array(message.bytes);
  // Read the metadata first: a file the demo cannot decode text with is refused before any GPU work.
  const { metadata } = decodeSafetensors(bytes);
  const vocabulary = vocabularyFromMetadata(metadata);
  if (vocabulary === undefined) {
    throw new DataError(
      `${message.fileName} has no 'vocabulary' metadata: the demo needs the characters the model was trained on to encode a prime and decode samples. ` +
        'Load a model saved by this page or by the CLI (or add the vocabulary, a JSON array of its characters in id order, to the file\'s metadata).',
    );
  }
  // A checkpoint resumes with its own optimizer, moments and step; a weights file starts over with the page's optimizer.
  const fileKind: SaveKind = metadata.kind === 'checkpoint' ? 'checkpoint' : 'weights';
  const model =
    fileKind === 'checkpoint'
      ? await RnnModel.fromCheckpoint(context, bytes)
      : await RnnModel.fromWeights(context, bytes, { optimizer: { type: message.optimizer, learningRate: message.learningRate } });
  const { cell, layers, hiddenSize, inputKind, inputSize, outputSize } = model.config;
  const optimizerType = model.fullConfig.optimizer?.type;
  if (optimizerType !== 'adam' && optimizerType !== 'sgd') {
    model.dispose();
    throw new DataError(`${message.fileName} trains with the ${optimizerType} optimizer; this page offers Adam and SGD. Load its weights instead.`);
  }
  if (inputKind !== 'tokens' || inputSize !== vocabulary.size || outputSize !== vocabulary.size) {
    model.dispose();
    throw new DataError(
      `${message.fileName} does not fit its vocabulary: the model takes ${inputSize} ${inputKind} inputs and predicts ${outputSize} classes, ` +
        `the vocabulary has ${vocabulary.size} characters.`,
    );
  }
  const saved = readDemoMetadata(metadata[METADATA_DEMO]);
  const task: TaskKind = saved.task ?? 'text';
  const history = fileKind === 'checkpoint' ? historyUpTo(readHistory(metadata[METADATA_HISTORY]), model.stepCount) : { training: [], validation: [] };
  const loaded: Run = {
    model,
    vocabulary,
    settings: { cell, layers, hiddenSize, optimizer: optimizerType },
    task,
    origin: 'file',
    fileName: message.fileName,
    fileKind,
    history,
    shapesRun: new Set(),
    defaultPrime: saved.defaultPrime ?? vocabulary.characters[0],
    sampleLength: saved.sampleLength ?? TEXT_SAMPLE_LENGTH,
    copySymbols: task === 'copy-memory' ? saved.copySymbols : undefined,
  };
  const { timeSteps, batchSize, learningRate } = saved;
  const savedTraining: Partial<TrainingSettings> = { ...(timeSteps ? { timeSteps } : {}), ...(batchSize ? { batchSize } : {}), ...(learningRate ? { learningRate } : {}) };
  return { loaded, savedTraining };
}
