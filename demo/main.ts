/**
 * The demo page: the controls and the view. Training runs in a module worker
 * (training-worker.ts) that talks to this page through the messages in
 * protocol.ts; the page's state is computed by ui-state.ts from those messages
 * and the user's actions, and rendered here. The page never touches the GPU.
 *
 * For tests, the state is in stable ids (#status, #step, #loss, #first-loss,
 * #val-loss, #speed, #memory, #checkpoint, #sample, #adapter, #error,
 * #device-lost) and in document.body.dataset.state (ui-state.ts's Phase);
 * #sample carries the sample's origin, step, seed, temperature and prime as
 * data attributes, #checkpoint the checkpoint's step as data-step.
 */
import { DEFAULT_TEXT } from './default-text.ts';
import { LossChart } from './loss-chart.ts';
import { formatBytes, parameterCount } from './metrics.ts';
import type { DataSource, PageMessage, SampleSettings, WorkerMessage } from './protocol.ts';
import {
  controlsFor,
  faultBanner,
  initialViewState,
  memoryEstimate,
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
  source: element<HTMLSelectElement>('source'),
  textBlock: element('text-block'),
  copyBlock: element('copy-block'),
  copySymbols: element<HTMLSelectElement>('copy-symbols'),
  text: element<HTMLTextAreaElement>('text'),
  textFile: element<HTMLInputElement>('text-file'),
  defaultText: element<HTMLButtonElement>('default-text'),
  textInfo: element('text-info'),
  cell: element<HTMLSelectElement>('cell'),
  layers: element<HTMLInputElement>('layers'),
  hidden: element<HTMLInputElement>('hidden'),
  optimizer: element<HTMLSelectElement>('optimizer'),
  seq: element<HTMLInputElement>('seq'),
  batch: element<HTMLInputElement>('batch'),
  lr: element<HTMLInputElement>('lr'),
  train: element<HTMLButtonElement>('train'),
  pause: element<HTMLButtonElement>('pause'),
  reset: element<HTMLButtonElement>('reset'),
  save: element<HTMLButtonElement>('save'),
  loadFile: element<HTMLInputElement>('load-file'),
  loadLabel: element('load-label'),
  error: element('error'),
  deviceLost: element('device-lost'),
  deviceLostHeadline: element('device-lost-headline'),
  deviceLostAction: element('device-lost-action'),
  deviceLostDetail: element('device-lost-detail'),
  recover: element<HTMLButtonElement>('recover'),
  simulateLoss: element<HTMLButtonElement>('simulate-loss'),
  checkpoint: element('checkpoint'),
  adapter: element('adapter'),
  modelInfo: element('model-info'),
  status: element('status'),
  step: element('step'),
  loss: element('loss'),
  firstLoss: element('first-loss'),
  validationLoss: element('val-loss'),
  recallBox: element('recall-box'),
  recall: element('recall'),
  speed: element('speed'),
  memory: element('memory'),
  dataInfo: element('data-info'),
  temperature: element<HTMLInputElement>('temperature'),
  temperatureValue: element<HTMLOutputElement>('temperature-value'),
  prime: element<HTMLInputElement>('prime'),
  sampleSeed: element<HTMLInputElement>('sample-seed'),
  sampleNow: element<HTMLButtonElement>('sample-now'),
  sampleMeta: element('sample-meta'),
  sampleError: element('sample-error'),
  sample: element('sample'),
  chart: new LossChart(element<HTMLCanvasElement>('chart')),
};

/** What the sample's caption says before there is a sample (as the page is written). */
const NO_SAMPLE_NOTE = page.sampleMeta.textContent ?? '';

let view: ViewState = initialViewState;
let worker: Worker | undefined;

function send(message: PageMessage, transfer: Transferable[] = []): void {
  worker?.postMessage(message, transfer);
}

function dispatch(event: ViewEvent): void {
  view = reduce(view, event);
  render(view);
}

// ---- reading the form ----

function currentSource(): DataSource {
  return page.source.value === 'copy-memory' ? { kind: 'copy-memory', symbols: Number(page.copySymbols.value) } : { kind: 'text', text: page.text.value };
}

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

function render(state: ViewState): void {
  document.body.dataset.state = state.phase;
  const controls = controlsFor(state);
  page.train.disabled = !controls.train;
  page.pause.disabled = !controls.pause;
  page.reset.disabled = !controls.reset;
  page.save.disabled = !controls.save;
  page.loadFile.disabled = !controls.load;
  page.loadLabel.classList.toggle('disabled', !controls.load);
  page.sampleNow.disabled = !controls.sample;
  page.recover.disabled = !controls.recover;
  page.simulateLoss.disabled = !controls.simulateLoss;
  for (const input of [page.cell, page.layers, page.hidden, page.optimizer]) input.disabled = !controls.modelSettings;
  for (const input of [page.source, page.copySymbols, page.text, page.textFile, page.defaultText, page.seq, page.batch, page.lr]) input.disabled = !controls.dataSettings;

  page.error.hidden = state.error === undefined;
  setText(page.error, state.error ?? '');
  const banner = faultBanner(state);
  page.deviceLost.hidden = banner === undefined;
  setText(page.deviceLostHeadline, banner?.headline ?? '');
  setText(page.deviceLostAction, banner?.action ?? '');
  setText(page.deviceLostDetail, banner?.detail ?? '');
  setText(page.checkpoint, state.checkpointStep === undefined ? '–' : `step ${state.checkpointStep}`);
  if (state.checkpointStep === undefined) delete page.checkpoint.dataset.step;
  else page.checkpoint.dataset.step = String(state.checkpointStep);
  setText(page.adapter, state.adapter ?? '–');
  setText(page.status, state.status);
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
  const memory = memoryEstimate(state);
  setText(page.memory, memory ? `≈ ${formatBytes(memory.totalBytes)}` : '–');
  page.memory.title = memory
    ? `parameters ${formatBytes(memory.parameterBytes)}, gradients ${formatBytes(memory.gradientBytes)}, ` +
      `optimizer moments ${formatBytes(memory.optimizerBytes)}, activations of one ${state.shape!.timeSteps} × ${state.shape!.batchSize} step ≈ ${formatBytes(memory.activationBytes)}`
    : '';
  setText(page.dataInfo, state.dataDescription);
  page.chart.update({ training: state.trainLoss, validation: state.validationLoss, references: state.references });

  const sample = state.sample;
  setText(page.sample, sample ? sample.prime + sample.text : '');
  if (sample) {
    Object.assign(page.sample.dataset, {
      origin: sample.origin,
      step: String(sample.step),
      seed: String(sample.seed),
      temperature: String(sample.temperature),
      prime: sample.prime,
    });
    setText(page.sampleMeta, `Step ${sample.step}, temperature ${sample.temperature}, seed ${sample.seed}, primed with ${JSON.stringify(sample.prime)} (${sample.origin}).`);
  } else {
    for (const key of ['origin', 'step', 'seed', 'temperature', 'prime']) delete page.sample.dataset[key];
    setText(page.sampleMeta, NO_SAMPLE_NOTE);
  }
  page.sampleError.hidden = state.sampleError === undefined;
  setText(page.sampleError, state.sampleError ?? '');
}

function showTextInfo(): void {
  const characters = Array.from(page.text.value);
  page.textInfo.textContent = `${count(characters.length)} characters, ${new Set(characters).size} distinct`;
}

/** Sequence lengths suggested when the source changes: the copy task's sets its gap. */
const SUGGESTED_TIME_STEPS = { text: '32', copy: '20' };

function showSource(): void {
  const copy = page.source.value === 'copy-memory';
  page.textBlock.hidden = copy;
  page.copyBlock.hidden = !copy;
  page.prime.placeholder = copy ? 'default: random symbols' : "default: the text's first character";
}

function onSourceChanged(): void {
  showSource();
  page.seq.value = page.source.value === 'copy-memory' ? SUGGESTED_TIME_STEPS.copy : SUGGESTED_TIME_STEPS.text;
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

function onWorkerMessage(message: WorkerMessage): void {
  if (message.type === 'saved') download(message.fileName, message.bytes);
  if (message.type === 'model' && message.info.origin === 'file') {
    // The controls show the loaded model; the settings it was trained with, where the file has them.
    const { info } = message;
    page.cell.value = info.cell;
    page.layers.value = String(info.layers);
    page.hidden.value = String(info.hiddenSize);
    page.source.value = info.task;
    if (info.copySymbols) page.copySymbols.value = String(info.copySymbols);
    if (info.savedTraining?.timeSteps) page.seq.value = String(info.savedTraining.timeSteps);
    if (info.savedTraining?.batchSize) page.batch.value = String(info.savedTraining.batchSize);
    showSource();
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
  send({ type: 'train', model: settings.model, training: settings.training, source: currentSource(), sampling });
}

async function readTextFile(file: File): Promise<void> {
  page.text.value = await file.text();
  page.source.value = 'text';
  showSource();
  showTextInfo();
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
  const optimizer = page.optimizer.value === 'sgd' ? 'sgd' : 'adam';
  send({ type: 'load', fileName: file.name, bytes, optimizer, learningRate, sampling }, [bytes]);
}

function wireControls(): void {
  page.text.value = DEFAULT_TEXT;
  showTextInfo();
  showSource();
  page.text.addEventListener('input', showTextInfo);
  page.source.addEventListener('change', onSourceChanged);
  page.defaultText.addEventListener('click', () => {
    page.text.value = DEFAULT_TEXT;
    showTextInfo();
  });
  page.textFile.addEventListener('change', () => {
    const file = page.textFile.files?.[0];
    page.textFile.value = '';
    if (file) readTextFile(file).catch((error: unknown) => dispatch({ type: 'user-invalid', message: `Could not read ${file.name}: ${String(error)}` }));
  });
  page.text.addEventListener('dragover', (event) => {
    event.preventDefault();
    page.text.classList.add('drop-target');
  });
  page.text.addEventListener('dragleave', () => page.text.classList.remove('drop-target'));
  page.text.addEventListener('drop', (event) => {
    page.text.classList.remove('drop-target');
    const file = event.dataTransfer?.files[0];
    if (!file || page.text.disabled) return;
    event.preventDefault();
    readTextFile(file).catch((error: unknown) => dispatch({ type: 'user-invalid', message: `Could not read ${file.name}: ${String(error)}` }));
  });

  page.train.addEventListener('click', onTrain);
  page.pause.addEventListener('click', () => {
    dispatch({ type: 'user-pause' });
    send({ type: 'pause' });
  });
  page.reset.addEventListener('click', () => {
    dispatch({ type: 'user-reset' });
    send({ type: 'reset' });
  });
  page.save.addEventListener('click', () => {
    dispatch({ type: 'user-save' });
    send({ type: 'save' });
  });
  page.recover.addEventListener('click', () => {
    dispatch({ type: 'user-recover' });
    send({ type: 'recover' });
  });
  page.simulateLoss.addEventListener('click', () => send({ type: 'simulate-device-loss' }));
  page.loadFile.addEventListener('change', () => {
    onLoadModel().catch((error: unknown) => dispatch({ type: 'user-invalid', message: `Could not read the model file: ${String(error)}` }));
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
}

function main(): void {
  wireControls();
  render(view);
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
