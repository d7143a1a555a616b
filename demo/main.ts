/**
 * The demo page: trains a character-level simple RNN on the text in the box,
 * on WebGPU, and shows the loss falling. The same job as `npm start`
 * (bin/train.ts), with the loss drawn instead of printed.
 *
 * For tests, the page's state is in stable ids (#status, #step, #loss, #speed,
 * #sample, #adapter, #error) and in document.body.dataset.state:
 * 'idle' | 'training' | 'paused' | 'error'.
 */
import {
  CharacterVocabulary,
  createGpuContext,
  type GpuContext,
  InvalidArgumentError,
  RnnModel,
  sampleText,
  type StepResult,
  TextBatches,
} from '../src/index.ts';
import { DEFAULT_TEXT } from './default-text.ts';
import { LossChart } from './loss-chart.ts';

type PageState = 'idle' | 'training' | 'paused' | 'error';

/** Steps between loss reads: a read waits for the GPU, so it is not done every step. */
const LOG_EVERY = 5;
const SAMPLE_LENGTH = 300;
const SAMPLE_TEMPERATURE = 0.8;
const SEED = 1;

const NO_WEBGPU_MESSAGE =
  'This demo needs WebGPU, and this browser does not offer it (navigator.gpu is missing). ' +
  'WebGPU is in Chrome and Edge 113 or later, Safari 26, and Firefox 141 or later on Windows. ' +
  'On Linux, Chrome may need chrome://flags/#enable-unsafe-webgpu.';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

const page = {
  text: element<HTMLTextAreaElement>('text'),
  textInfo: element('text-info'),
  hidden: element<HTMLInputElement>('hidden'),
  seq: element<HTMLInputElement>('seq'),
  batch: element<HTMLInputElement>('batch'),
  lr: element<HTMLInputElement>('lr'),
  stopAt: element<HTMLInputElement>('stop-at'),
  train: element<HTMLButtonElement>('train'),
  pause: element<HTMLButtonElement>('pause'),
  reset: element<HTMLButtonElement>('reset'),
  adapter: element('adapter'),
  status: element('status'),
  step: element('step'),
  loss: element('loss'),
  firstLoss: element('first-loss'),
  speed: element('speed'),
  error: element('error'),
  sample: element('sample'),
  chart: new LossChart(element<HTMLCanvasElement>('chart')),
};

interface Settings {
  hiddenSize: number;
  timeSteps: number;
  batchSize: number;
  learningRate: number;
  stopAt: number;
}

/** A model being trained on one text, kept between Pause and Train. */
interface Run {
  model: RnnModel;
  vocabulary: CharacterVocabulary;
  text: string;
  hiddenSize: number;
  firstLoss: number | undefined;
}

let context: GpuContext | undefined;
let run: Run | undefined;
let pauseRequested = false;
/** The sample being generated; training waits for it (both use the model). */
let sampling: Promise<void> = Promise.resolve();

function setState(state: PageState, status: string): void {
  document.body.dataset.state = state;
  page.status.textContent = status;
  const training = state === 'training';
  page.train.disabled = training || context === undefined;
  page.pause.disabled = !training;
  page.reset.disabled = training || run === undefined;
  for (const input of [page.text, page.hidden, page.seq, page.batch, page.lr, page.stopAt]) input.disabled = training;
}

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  page.error.textContent = message;
  page.error.hidden = false;
  setState('error', 'error');
}

function clearError(): void {
  page.error.textContent = '';
  page.error.hidden = true;
}

/** A setting on the page that is not a valid value. */
class SettingsError extends Error {}

function readNumber(input: HTMLInputElement, label: string, integer: boolean): number {
  const value = Number(input.value);
  const valid = integer ? Number.isInteger(value) && value >= 1 : Number.isFinite(value) && value > 0;
  if (!valid) throw new SettingsError(`${label}: got ${JSON.stringify(input.value)}, expected a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function readSettings(): Settings {
  return {
    hiddenSize: readNumber(page.hidden, 'Hidden size', true),
    timeSteps: readNumber(page.seq, 'Sequence length', true),
    batchSize: readNumber(page.batch, 'Batch size', true),
    learningRate: readNumber(page.lr, 'Learning rate', false),
    stopAt: readNumber(page.stopAt, 'Stop at step', true),
  };
}

function showTextInfo(): void {
  const text = page.text.value;
  const distinct = new Set(Array.from(text)).size;
  page.textInfo.textContent = `${Array.from(text).length} characters, ${distinct} distinct`;
}

function showLoss(step: number, loss: number, speed: number): void {
  page.step.textContent = String(step);
  page.loss.textContent = loss.toFixed(4);
  page.loss.dataset.step = String(step);
  page.speed.textContent = Math.round(speed).toLocaleString('en-US');
  page.chart.add({ step, loss });
  if (run && run.firstLoss === undefined) {
    run.firstLoss = loss;
    page.firstLoss.textContent = loss.toFixed(4);
  }
}

function clearRun(): void {
  run?.model.dispose();
  run = undefined;
  page.step.textContent = '0';
  page.loss.textContent = '–';
  delete page.loss.dataset.step;
  page.firstLoss.textContent = '–';
  page.speed.textContent = '–';
  page.sample.textContent = '';
  page.chart.reset(undefined);
}

/** A usable GPU context: the one we have, or a new one if the device was lost. */
async function usableContext(): Promise<GpuContext> {
  try {
    context!.throwIfFaulted();
    return context!;
  } catch {
    clearRun();
    context = await createGpuContext();
    page.adapter.textContent = context.description;
    return context;
  }
}

async function startRun(text: string, vocabulary: CharacterVocabulary, settings: Settings): Promise<Run> {
  clearRun();
  const gpu = await usableContext();
  const model = await RnnModel.create(gpu, {
    vocabularySize: vocabulary.size,
    hiddenSize: settings.hiddenSize,
    seed: SEED,
    optimizer: { type: 'adam', learningRate: settings.learningRate },
  });
  page.chart.reset(Math.log(vocabulary.size));
  return { model, vocabulary, text, hiddenSize: settings.hiddenSize, firstLoss: undefined };
}

function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function train(): Promise<void> {
  clearError();
  await sampling;
  const settings = readSettings();
  const text = page.text.value;
  // A new text or hidden size needs a new model; so does a run that reached its last step.
  const continuing = run !== undefined && run.text === text && run.hiddenSize === settings.hiddenSize && run.model.stepCount < settings.stopAt;
  const vocabulary = continuing ? run!.vocabulary : CharacterVocabulary.fromText(text);
  // Checked before any GPU work: the text must hold at least one batch.
  const batches = new TextBatches(vocabulary.encode(text), settings.timeSteps, settings.batchSize);
  pauseRequested = false;
  page.sample.textContent = '';
  if (!continuing) {
    setState('training', 'compiling the kernels…');
    run = await startRun(text, vocabulary, settings);
  }
  const current = run!;
  const { model } = current;
  model.setLearningRate(settings.learningRate);
  const charsPerStep = settings.timeSteps * settings.batchSize;
  setState('training', 'training');
  const started = performance.now();
  const startStep = model.stepCount;
  const show = ({ step, loss }: { step: number; loss: number }) =>
    showLoss(step, loss, ((step - startStep) * charsPerStep) / ((performance.now() - started) / 1000));
  const readLoss = (result: StepResult) => result.loss().then((loss) => ({ step: result.step, loss }));

  // The loss of a logged step is read while the next steps run, and shown one log interval later.
  let pendingLoss: Promise<{ step: number; loss: number }> | undefined;
  let last: StepResult | undefined;
  let lastRead = 0;
  while (!pauseRequested && model.stepCount < settings.stopAt) {
    last = model.trainStep(batches.batch(model.stepCount));
    if (last.step % LOG_EVERY === 0 || last.step === 1) {
      if (pendingLoss) show(await pendingLoss);
      pendingLoss = readLoss(last);
      // Awaited one interval later; until then a failed read must not count as unhandled.
      pendingLoss.catch(() => undefined);
      lastRead = last.step;
      await yieldToPage();
    }
  }
  if (pendingLoss) show(await pendingLoss);
  if (last && last.step !== lastRead) show(await readLoss(last));

  const finished = model.stepCount >= settings.stopAt;
  setState(finished ? 'idle' : 'paused', finished ? `finished ${model.stepCount} steps` : 'paused');
  page.status.textContent += ', writing a sample…';
  const writing = writeSample(current, finished);
  sampling = writing.catch(() => undefined);
  await writing;
}

async function writeSample(current: Run, finished: boolean): Promise<void> {
  const prime = Array.from(current.text)[0];
  const sample = await sampleText(current.model, current.vocabulary, { prime, length: SAMPLE_LENGTH, temperature: SAMPLE_TEMPERATURE, seed: SEED });
  page.sample.textContent = prime + sample;
  page.status.textContent = finished ? `finished ${current.model.stepCount} steps` : 'paused';
}

function onTrain(): void {
  train().catch((error: unknown) => {
    // Bad settings are shown on the page only; anything else is a fault worth a console entry.
    if (!(error instanceof InvalidArgumentError) && !(error instanceof SettingsError)) console.error(error);
    showError(error);
  });
}

async function main(): Promise<void> {
  page.text.value = DEFAULT_TEXT;
  showTextInfo();
  page.text.addEventListener('input', showTextInfo);
  page.train.addEventListener('click', onTrain);
  page.pause.addEventListener('click', () => {
    pauseRequested = true;
    page.pause.disabled = true;
    page.status.textContent = 'pausing…';
  });
  page.reset.addEventListener('click', async () => {
    await sampling;
    clearRun();
    clearError();
    setState('idle', 'ready');
  });
  clearRun();

  if (!navigator.gpu) {
    page.adapter.textContent = 'none: WebGPU is not available';
    showError(new Error(NO_WEBGPU_MESSAGE));
    return;
  }
  setState('idle', 'requesting a GPU adapter…');
  context = await createGpuContext();
  page.adapter.textContent = context.description;
  setState('idle', 'ready');
}

main().catch((error: unknown) => {
  console.error(error);
  showError(error);
});
