/**
 * The demo page: the controls and the view. Training runs in a module worker
 * (training-worker.ts) that talks to this page through the messages in
 * protocol.ts; the page's state is computed by ui-state.ts from those messages
 * and the user's actions, and rendered here. The page never touches the GPU.
 * What to train on is text-source.ts's part of the page; the chart is
 * loss-chart.ts's.
 *
 * For tests, the state is in stable ids (#status, #step, #loss, #first-loss,
 * #val-loss, #speed, #memory, #checkpoint, #sample, #sample-history, #adapter,
 * #error, #error-detail, #device-lost, #stage-note; #lr's data-model-rate:
 * the model's learning rate) and in
 * document.body.dataset.state (ui-state.ts's Phase); #sample carries the
 * sample's origin, step, seed, temperature and prime as data attributes,
 * #checkpoint the checkpoint's step as data-step.
 */
import { LossChart } from './loss-chart.ts';
import { formatBytes, memoryBreakdown, parameterCount } from './metrics.ts';
import type { PlainError } from './plain-errors.ts';
import type { OptimizerName, PageMessage, SampleSettings, SaveKind, WorkerMessage } from './protocol.ts';
import { SampleView } from './sample-view.ts';
import { TextSource } from './text-source.ts';
import {
  controlsFor,
  faultBanner,
  initialViewState,
  parseSampling,
  parseSettings,
  reduce,
  type ViewEvent,
  type ViewState,
} from './ui-state.ts';

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
  cell: element<HTMLSelectElement>('cell'),
  layers: element<HTMLInputElement>('layers'),
  hidden: element<HTMLInputElement>('hidden'),
  optimizer: element<HTMLSelectElement>('optimizer'),
  modelLockNote: element('model-lock-note'),
  seq: element<HTMLInputElement>('seq'),
  batch: element<HTMLInputElement>('batch'),
  lr: element<HTMLInputElement>('lr'),
  lrSlider: element<HTMLInputElement>('lr-slider'),
  train: element<HTMLButtonElement>('train'),
  pause: element<HTMLButtonElement>('pause'),
  reset: element<HTMLButtonElement>('reset'),
  save: element<HTMLButtonElement>('save'),
  saveWeights: element<HTMLButtonElement>('save-weights'),
  loadFile: element<HTMLInputElement>('load-file'),
  loadLabel: element('load-label'),
  errorToast: element('error-toast'),
  error: element('error'),
  errorDetailBox: element('error-detail-box'),
  errorDetail: element('error-detail'),
  dismissError: element<HTMLButtonElement>('dismiss-error'),
  deviceLost: element('device-lost'),
  deviceLostHeadline: element('device-lost-headline'),
  deviceLostAction: element('device-lost-action'),
  deviceLostDetail: element('device-lost-detail'),
  recover: element<HTMLButtonElement>('recover'),
  simulateLoss: element<HTMLButtonElement>('simulate-loss'),
  checkpoint: element('checkpoint'),
  adapter: element('adapter'),
  softwareNote: element('software-note'),
  modelInfo: element('model-info'),
  status: element('status'),
  stageNote: element('stage-note'),
  step: element('step'),
  loss: element('loss'),
  firstLoss: element('first-loss'),
  validationLoss: element('val-loss'),
  recallBox: element('recall-box'),
  recall: element('recall'),
  speed: element('speed'),
  memory: element('memory'),
  dataInfo: element('data-info'),
  smoothing: element<HTMLInputElement>('smoothing'),
  smoothingValue: element<HTMLOutputElement>('smoothing-value'),
  temperature: element<HTMLInputElement>('temperature'),
  temperatureValue: element<HTMLOutputElement>('temperature-value'),
  prime: element<HTMLInputElement>('prime'),
  sampleSeed: element<HTMLInputElement>('sample-seed'),
  sampleNow: element<HTMLButtonElement>('sample-now'),
  chart: new LossChart(element('chart'), element('chart-empty')),
};

const samples = new SampleView();


let view: ViewState = initialViewState;
let worker: Worker | undefined;

function send(message: PageMessage, transfer: Transferable[] = []): void {
  worker?.postMessage(message, transfer);
}

function dispatch(event: ViewEvent): void {
  view = reduce(view, event);
  render(view);
}

/** Sequence lengths suggested when the source changes: the copy task's sets its gap. */
const SUGGESTED_TIME_STEPS = { text: '32', 'copy-memory': '20' };

const source = new TextSource(
  (kind) => {
    if (!page.seq.disabled) page.seq.value = SUGGESTED_TIME_STEPS[kind];
    page.prime.placeholder = kind === 'copy-memory' ? 'default: random symbols' : "default: the text's first character";
  },
  (error: PlainError) => dispatch({ type: 'user-invalid', message: error.message, detail: error.detail }),
);

// ---- reading the form ----

function readSampling(): SampleSettings | undefined {
  const parsed = parseSampling({ prime: page.prime.value, temperature: page.temperature.value, seed: page.sampleSeed.value });
  if (parsed.ok) return parsed.value;
  dispatch({ type: 'user-invalid', message: parsed.error });
  return undefined;
}

function readSettings() {
  const parsed = parseSettings({
    cell: page.cell.value,
    layers: page.layers.value,
    hiddenSize: page.hidden.value,
    optimizer: page.optimizer.value,
    timeSteps: page.seq.value,
    batchSize: page.batch.value,
    learningRate: page.lr.value,
  });
  if (parsed.ok) return parsed.value;
  dispatch({ type: 'user-invalid', message: parsed.error });
  return undefined;
}

// ---- rendering ----

const count = (n: number) => n.toLocaleString('en-US');

function setText(target: HTMLElement, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

/** When the current slow first-run stage began, for the seconds shown while it lasts. */
let stageStarted: number | undefined;

const STAGE_NOTES = {
  compiling: 'Compiling the GPU kernels this network needs (once per model).',
  'first-step': 'The first step records the GPU work of a whole training step; later steps replay it.',
};

function renderStage(state: ViewState): void {
  if (!state.stage) {
    stageStarted = undefined;
    page.stageNote.hidden = true;
    return;
  }
  stageStarted ??= performance.now();
  const seconds = Math.floor((performance.now() - stageStarted) / 1000);
  const slow = state.softwareAdapter ? ' On this software adapter that takes 20–30 s the first time.' : '';
  page.stageNote.hidden = false;
  setText(page.stageNote, `${STAGE_NOTES[state.stage]}${slow} ${seconds} s so far…`);
}

function render(state: ViewState): void {
  document.body.dataset.state = state.phase;
  if (state.busy) document.body.dataset.busy = state.busy;
  else delete document.body.dataset.busy;
  const controls = controlsFor(state);
  page.train.disabled = !controls.train;
  page.train.textContent = state.model && state.step > 0 ? 'Resume' : 'Train';
  page.pause.disabled = !controls.pause;
  page.reset.disabled = !controls.reset;
  page.save.disabled = !controls.save;
  page.saveWeights.disabled = !controls.save;
  page.loadFile.disabled = !controls.load;
  page.loadLabel.classList.toggle('disabled', !controls.load);
  page.sampleNow.disabled = !controls.sample;
  page.recover.disabled = !controls.recover;
  page.simulateLoss.disabled = !controls.simulateLoss;
  for (const input of [page.cell, page.layers, page.hidden, page.optimizer]) input.disabled = !controls.modelSettings;
  page.modelLockNote.hidden = controls.modelSettings || state.model === undefined;
  for (const input of [page.seq, page.batch]) input.disabled = !controls.dataSettings;
  source.setEnabled(controls.dataSettings);
  page.lr.disabled = page.lrSlider.disabled = !controls.learningRate;
  // The rate the model trains with, as the worker confirmed it.
  if (state.model) page.lr.dataset.modelRate = String(state.model.learningRate);
  else delete page.lr.dataset.modelRate;

  const hasError = state.error !== undefined;
  page.errorToast.hidden = !hasError;
  page.error.hidden = !hasError;
  setText(page.error, state.error ?? '');
  page.errorDetailBox.hidden = state.errorDetail === undefined;
  setText(page.errorDetail, state.errorDetail ?? '');
  const banner = faultBanner(state);
  page.deviceLost.hidden = banner === undefined;
  setText(page.deviceLostHeadline, banner?.headline ?? '');
  setText(page.deviceLostAction, banner?.action ?? '');
  setText(page.deviceLostDetail, banner?.detail ?? '');

  setText(page.checkpoint, state.checkpointStep === undefined ? '–' : `step ${state.checkpointStep}`);
  if (state.checkpointStep === undefined) delete page.checkpoint.dataset.step;
  else page.checkpoint.dataset.step = String(state.checkpointStep);
  setText(page.adapter, state.adapter ?? '–');
  page.adapter.title = state.adapter ?? '';
  page.softwareNote.hidden = !state.softwareAdapter;
  setText(page.status, state.status);
  page.status.title = state.status;
  renderStage(state);
  setText(page.step, String(state.step));
  setText(page.loss, state.loss === undefined ? '–' : state.loss.toFixed(4));
  setText(page.firstLoss, state.firstLoss === undefined ? '–' : state.firstLoss.toFixed(4));
  setText(page.validationLoss, state.validation ? state.validation.loss.toFixed(4) : '–');
  page.validationLoss.title = state.validation ? `on held-out data at step ${state.validation.step}` : '';
  const recall = state.validation?.recallAccuracy;
  page.recallBox.hidden = state.model?.task !== 'copy-memory' && recall === undefined;
  setText(page.recall, recall === undefined ? '–' : `${(recall * 100).toFixed(1)}%`);
  setText(page.speed, state.tokensPerSecond === undefined ? '–' : count(Math.round(state.tokensPerSecond)));

  const model = state.model;
  if (model) {
    const layers = `${model.layers} layer${model.layers === 1 ? '' : 's'} × ${model.hiddenSize}`;
    const from = model.origin === 'file' ? `, loaded from ${model.fileName}` : '';
    setText(
      page.modelInfo,
      `${model.cell.toUpperCase()}, ${layers}, ${model.optimizer === 'adam' ? 'Adam' : 'SGD'}, ${model.vocabularySize} characters, ` +
        `${count(parameterCount(model.parameterShapes))} parameters${from}`,
    );
  } else {
    setText(page.modelInfo, 'none yet');
  }
  const memory = state.memory;
  setText(page.memory, memory ? `≈ ${formatBytes(memory.totalBytes)}` : '–');
  page.memory.title = memory ? memoryBreakdown(memory) : '';
  setText(page.dataInfo, state.dataDescription);
  page.chart.update({ training: state.trainLoss, validation: state.validationLoss, references: state.references });
  samples.render(state);
}

// ---- side effects of the worker's messages ----

function download(fileName: string, bytes: ArrayBuffer): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The learning rate's slider is log10 of the rate. */
function showLearningRate(learningRate: number): void {
  page.lr.value = String(Number(learningRate.toPrecision(3)));
  page.lrSlider.value = String(Math.log10(learningRate));
}

function onWorkerMessage(message: WorkerMessage): void {
  if (message.type === 'saved') download(message.fileName, message.bytes);
  if (message.type === 'model' && message.info.origin === 'file') {
    // The controls show the loaded model; the settings it was trained with, where the file has them.
    const { info } = message;
    page.cell.value = info.cell;
    page.layers.value = String(info.layers);
    page.hidden.value = String(info.hiddenSize);
    page.optimizer.value = info.optimizer;
    source.showTask(info.task, info.copySymbols);
    if (info.savedTraining?.timeSteps) page.seq.value = String(info.savedTraining.timeSteps);
    if (info.savedTraining?.batchSize) page.batch.value = String(info.savedTraining.batchSize);
    if (info.fileKind === 'checkpoint') showLearningRate(info.learningRate);
  }
  if (message.type === 'error' && message.fatal) console.error(message.message);
  // A lost device is expected to be recoverable: a warning, not an error.
  if (message.type === 'device-lost') console.warn(message.message);
  dispatch(message);
}

// ---- the user's actions ----

function onTrain(): void {
  const settings = readSettings();
  const sampling = readSampling();
  if (!settings || !sampling) return;
  dispatch({ type: 'user-train', training: settings.training });
  send({ type: 'train', model: settings.model, training: settings.training, source: source.current(), sampling });
}

async function onLoadModel(): Promise<void> {
  const file = page.loadFile.files?.[0];
  page.loadFile.value = '';
  if (!file) return;
  const sampling = readSampling();
  if (!sampling) return;
  const learningRate = Number(page.lr.value);
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    dispatch({ type: 'user-invalid', message: `Learning rate: got ${JSON.stringify(page.lr.value)}, expected a positive number` });
    return;
  }
  dispatch({ type: 'user-load', fileName: file.name });
  const bytes = await file.arrayBuffer();
  const optimizer: OptimizerName = page.optimizer.value === 'sgd' ? 'sgd' : 'adam';
  send({ type: 'load', fileName: file.name, bytes, optimizer, learningRate, sampling }, [bytes]);
}

/** A learning rate typed or slid: checked, then sent at once (it applies from the next step, also while training). */
function onLearningRate(text: string): void {
  const learningRate = Number(text);
  if (text.trim() === '' || !Number.isFinite(learningRate) || learningRate <= 0) {
    dispatch({ type: 'user-invalid', message: `Learning rate: got ${JSON.stringify(text)}, expected a positive number` });
    return;
  }
  dispatch({ type: 'user-learning-rate', learningRate });
  if (view.model) send({ type: 'set-learning-rate', learningRate });
}

function save(what: SaveKind): void {
  dispatch({ type: 'user-save' });
  send({ type: 'save', what });
}

function wireControls(): void {
  page.train.addEventListener('click', onTrain);
  page.pause.addEventListener('click', () => {
    dispatch({ type: 'user-pause' });
    send({ type: 'pause' });
  });
  page.reset.addEventListener('click', () => {
    dispatch({ type: 'user-reset' });
    send({ type: 'reset' });
  });
  page.save.addEventListener('click', () => save('checkpoint'));
  page.saveWeights.addEventListener('click', () => save('weights'));
  page.recover.addEventListener('click', () => {
    dispatch({ type: 'user-recover' });
    send({ type: 'recover' });
  });
  page.dismissError.addEventListener('click', () => dispatch({ type: 'user-dismiss-error' }));
  page.simulateLoss.addEventListener('click', () => send({ type: 'simulate-device-loss' }));
  page.loadFile.addEventListener('change', () => {
    onLoadModel().catch((error: unknown) => dispatch({ type: 'user-invalid', message: `Could not read the model file: ${String(error)}` }));
  });
  page.lr.addEventListener('change', () => {
    onLearningRate(page.lr.value);
    const value = Number(page.lr.value);
    if (value > 0) page.lrSlider.value = String(Math.log10(value));
  });
  page.lrSlider.addEventListener('input', () => showLearningRate(10 ** Number(page.lrSlider.value)));
  page.lrSlider.addEventListener('change', () => onLearningRate(page.lr.value));
  page.smoothing.addEventListener('input', () => {
    page.smoothingValue.value = Number(page.smoothing.value).toFixed(2);
    page.chart.setSmoothing(Number(page.smoothing.value));
  });

  const samplingChanged = () => {
    page.temperatureValue.value = Number(page.temperature.value).toFixed(2);
    const parsed = parseSampling({ prime: page.prime.value, temperature: page.temperature.value, seed: page.sampleSeed.value });
    if (parsed.ok) send({ type: 'set-sampling', sampling: parsed.value });
  };
  for (const input of [page.temperature, page.prime, page.sampleSeed]) input.addEventListener('input', samplingChanged);
  page.sampleNow.addEventListener('click', () => {
    const sampling = readSampling();
    if (!sampling) return;
    dispatch({ type: 'user-sample' });
    send({ type: 'sample', sampling });
  });
  // The seconds shown while kernels compile.
  setInterval(() => view.stage && renderStage(view), 1000);
}

function main(): void {
  wireControls();
  render(view);
  source.start().catch((error: unknown) => console.error(error));
  if (!navigator.gpu) {
    dispatch({ type: 'unavailable', message: NO_WEBGPU_MESSAGE });
    return;
  }
  worker = new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module', name: 'webgpu-rnn training' });
  worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => onWorkerMessage(event.data));
  worker.addEventListener('error', (event) => {
    // A script that fails to load or parse gives a plain Event without a message.
    const reason = event instanceof ErrorEvent && event.message ? event.message : 'its script could not be loaded or run (the browser console says why)';
    console.error(`The training worker failed: ${reason}`);
    dispatch({ type: 'error', action: 'startup', message: `The training worker failed: ${reason}. Reload the page to try again.`, fatal: true });
  });
}

main();
