/**
 * The demo page in a real browser: builds demo/ with Vite, serves it on
 * 127.0.0.1, opens it in Debian's Chromium (WebGPU on SwiftShader, headless)
 * through playwright-core. A small LSTM trains in the page's worker until the
 * loss has clearly fallen and a sample has appeared, while the page stays
 * responsive; Pause stops it; Save downloads a safetensors file; after a reload,
 * loading that file gives the very same sample for the same seed, prime and
 * temperature, and a damaged file is refused with the model kept. Also: the
 * copy-memory task reports recall accuracy; a GPU device lost while training
 * (the worker destroys its device) is reported with the step and the in-memory
 * checkpoint's, and Recover restores the model from that checkpoint on a new
 * device, from where training retraces the lost steps with the same losses; the
 * library build runs on a page's main thread; a browser without WebGPU is told
 * so. Saves test-artifacts/demo.png and demo-device-lost.png. Any console error
 * fails the test.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CharacterVocabulary, decodeSafetensors } from '../src/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = join(PROJECT_ROOT, 'test-artifacts', 'demo.png');
const SCREENSHOT_DEVICE_LOST = join(PROJECT_ROOT, 'test-artifacts', 'demo-device-lost.png');

/** Small sizes: SwiftShader runs the kernels on the CPU. */
const TEST_SETTINGS = { cell: 'lstm', layers: '1', hidden: '32', seq: '16', batch: '8', lr: '0.02' };
const SAMPLING = { prime: 'The ', temperature: '0.5', seed: '7' };
/**
 * Measured with these settings: the first logged loss is ≈ 3.80 (ln 43 ≈ 3.76); it is near
 * 0.75 × that by step 40–50, once character frequencies are learnt, and ≈ 2.0 (0.53 ×) by step
 * 120, which the run reaches in about 10 s while it also waits for a sample (after 4 s) and a
 * validation (every 25 steps).
 */
const MIN_STEPS = 40;
/** The shown loss must fall below this fraction of the first logged loss. */
const LOSS_FRACTION = 0.75;
/** The page's main thread must never be blocked this long while the worker trains. */
const MAX_MAIN_THREAD_STALL_MS = 1000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

/** Trains three steps with the built library (dist/lib's ESM) on the page's main thread, then saves, reloads and samples. */
const LIBRARY_PAGE = `<!doctype html>
<meta charset="utf-8" />
<title>webgpu-rnn on the main thread</title>
<link rel="icon" href="data:," />
<script type="module">
  import { CharacterVocabulary, createGpuContext, RnnModel, sampleText, TextBatches } from './lib/webgpu-rnn.js';
  try {
    const context = await createGpuContext();
    const text = 'hello recurrent world. '.repeat(20);
    const vocabulary = CharacterVocabulary.fromText(text);
    const batch = new TextBatches(vocabulary.encode(text), 8, 4).batch(0);
    const model = await RnnModel.create(context, { cell: 'gru', vocabularySize: vocabulary.size, hiddenSize: 16, optimizer: { type: 'adam', learningRate: 0.01 } });
    const losses = [];
    for (let step = 0; step < 3; step++) losses.push(await model.trainStep(batch).loss());
    const options = { prime: 'hello', length: 20, temperature: 0.5, seed: 3 };
    const sample = await sampleText(model, vocabulary, options);
    const again = await RnnModel.fromWeights(context, await model.saveWeights());
    window.result = { adapter: context.description, losses, sample, sampleAfterReload: await sampleText(again, vocabulary, options) };
  } catch (error) {
    window.result = { error: String(error && error.stack || error) };
  }
</script>
`;

let temporaryDirectory: string;
let server: Server | undefined;
let baseUrl: string;
let browser: BrowserContext | undefined;
/**
 * The page the first test leaves, which the copy-memory test continues on after
 * Reset: a new page means a new worker and GPU device, and compiling every
 * pipeline again takes about 10 s on SwiftShader.
 */
let handedOver: { page: Page; problems: string[] } | undefined;

/** Serves the files under `root` with their content types; a folder serves its index.html. */
function serveDirectory(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  temporaryDirectory = mkdtempSync(join(tmpdir(), 'webgpu-rnn-demo-'));
  const outDir = join(temporaryDirectory, 'site');
  await build({
    root: join(PROJECT_ROOT, 'demo'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  // The library build, as an app embedding it would get it, and a page that uses it on its main thread.
  await build({
    configFile: join(PROJECT_ROOT, 'vite.lib.config.ts'),
    root: PROJECT_ROOT,
    logLevel: 'error',
    build: { outDir: join(outDir, 'lib'), emptyOutDir: true, sourcemap: false },
  });
  writeFileSync(join(outDir, 'library.html'), LIBRARY_PAGE);
  server = await serveDirectory(outDir);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

/** The browser, launched on first use; a missing Chromium fails each test that needs it. */
async function openPage(): Promise<Page> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test drives Debian's Chromium. Install it with \`apt-get install chromium\`.`);
  }
  browser ??= await chromium.launchPersistentContext(join(temporaryDirectory, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  return browser.newPage();
}

afterAll(async () => {
  await handedOver?.page.close();
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
});

/** Collects console errors and uncaught exceptions of the page and of its workers. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (message) => {
      if (message.type() === 'error') problems.push(`worker console error: ${message.text()}`);
    });
  });
  return problems;
}

async function numberIn(page: Page, selector: string): Promise<number> {
  return Number(await page.textContent(selector));
}

/** Waits until the worker has a GPU (or the page shows an error, which then fails the test). */
async function waitUntilReady(page: Page, problems: string[]): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.state !== 'starting');
  if ((await page.getAttribute('body', 'data-state')) === 'error') {
    throw new Error(`The page shows an error: ${await page.textContent('#error')}\n${problems.join('\n')}`);
  }
}

async function setSampling(page: Page): Promise<void> {
  await page.fill('#prime', SAMPLING.prime);
  await page.fill('#temperature', SAMPLING.temperature);
  await page.fill('#sample-seed', SAMPLING.seed);
}

interface ShownSample {
  /** As shown: the prime, then the generated characters. */
  text: string;
  origin?: string;
  step?: string;
  seed?: string;
  temperature?: string;
  prime?: string;
}

async function shownSample(page: Page): Promise<ShownSample> {
  return page.$eval('#sample', (element) => ({ text: element.textContent ?? '', ...(element as HTMLElement).dataset }));
}

test('an LSTM trains in the worker, pauses, and a saved model loaded after a reload writes the same sample', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  const failWithProblems = (what: string) => new Error(`${what}\n${problems.join('\n')}`);

  await page.goto(baseUrl);
  await waitUntilReady(page, problems);
  const adapter = (await page.textContent('#adapter'))!;
  expect(adapter).toMatch(/swiftshader/i);

  // The longest gap between timer ticks on the page's main thread, while the worker trains.
  await page.evaluate(() => {
    const state = { last: performance.now(), longest: 0 };
    (window as unknown as { mainThreadStall: typeof state }).mainThreadStall = state;
    setInterval(() => {
      const now = performance.now();
      state.longest = Math.max(state.longest, now - state.last);
      state.last = now;
    }, 50);
  });

  await page.selectOption('#cell', TEST_SETTINGS.cell);
  await page.fill('#layers', TEST_SETTINGS.layers);
  await page.fill('#hidden', TEST_SETTINGS.hidden);
  await page.fill('#seq', TEST_SETTINGS.seq);
  await page.fill('#batch', TEST_SETTINGS.batch);
  await page.fill('#lr', TEST_SETTINGS.lr);
  await setSampling(page);
  const started = performance.now();
  await page.click('#train');
  await page.waitForFunction(
    ({ minSteps, fraction }) => {
      if (document.body.dataset.state === 'error' || !document.querySelector('#error')!.hasAttribute('hidden')) return true;
      const step = Number(document.querySelector('#step')!.textContent);
      const loss = Number(document.querySelector('#loss')!.textContent);
      const first = Number(document.querySelector('#first-loss')!.textContent);
      const sampled = (document.querySelector('#sample') as HTMLElement).dataset.origin === 'training';
      const validated = document.querySelector('#val-loss')!.textContent !== '–';
      return step >= minSteps && loss < fraction * first && sampled && validated;
    },
    { minSteps: MIN_STEPS, fraction: LOSS_FRACTION },
    { timeout: 60_000 },
  );
  const trainingSeconds = (performance.now() - started) / 1000;
  if ((await page.getAttribute('body', 'data-state')) === 'error' || (await page.isVisible('#error'))) {
    throw failWithProblems(`Training failed: ${await page.textContent('#error')}`);
  }
  const trainingSample = await shownSample(page);
  const longestStall = await page.evaluate(() => (window as unknown as { mainThreadStall: { longest: number } }).mainThreadStall.longest);

  await page.click('#pause');
  await page.waitForFunction(() => document.body.dataset.state === 'paused' && (document.querySelector('#sample') as HTMLElement).dataset.origin === 'paused');
  const steps = await numberIn(page, '#step');
  // Paused means paused: no step is taken any more.
  await page.waitForTimeout(500);
  expect(await numberIn(page, '#step')).toBe(steps);

  const firstLoss = await numberIn(page, '#first-loss');
  const lastLoss = await numberIn(page, '#loss');
  const validationLoss = (await page.textContent('#val-loss'))!;
  const before = await shownSample(page);
  expect(before.step).toBe(String(steps));
  expect(before).toMatchObject({ prime: SAMPLING.prime, seed: SAMPLING.seed, temperature: SAMPLING.temperature });
  console.log(
    `demo: ${adapter}; loss ${firstLoss} -> ${lastLoss} nats/char after ${steps} steps ` +
      `(${trainingSeconds.toFixed(1)} s to reach ${LOSS_FRACTION} × first and a sample), validation ${validationLoss}, ` +
      `${await page.textContent('#speed')} tokens/s, ${await page.textContent('#memory')} GPU memory; ` +
      `longest main-thread stall ${longestStall.toFixed(0)} ms\n` +
      `sample during training: ${JSON.stringify(trainingSample.text.slice(0, 80))}\n` +
      `sample at pause: ${JSON.stringify(before.text.slice(0, 80))}`,
  );
  expect(lastLoss).toBeLessThan(LOSS_FRACTION * firstLoss);
  expect(steps).toBeGreaterThanOrEqual(MIN_STEPS);
  expect(before.text.length).toBeGreaterThan(SAMPLING.prime.length);
  expect(longestStall).toBeLessThan(MAX_MAIN_THREAD_STALL_MS);
  expect(await page.textContent('#memory')).toMatch(/^≈ \d/);

  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Save: a safetensors download whose metadata holds the vocabulary.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  expect(download.suggestedFilename()).toMatch(/\.safetensors$/);
  const saved = join(temporaryDirectory, download.suggestedFilename());
  await download.saveAs(saved);
  const { metadata } = decodeSafetensors(new Uint8Array(readFileSync(saved)));
  expect(metadata).toMatchObject({ cell: 'lstm', layers: '1', hidden_size: '32' });
  expect(CharacterVocabulary.fromMetadata(metadata).size).toBe(Number(metadata.input_size));

  // A new page: nothing of the model survives but the file.
  await page.reload();
  await waitUntilReady(page, problems);
  expect(await page.textContent('#model-info')).toBe('none yet');
  await setSampling(page);
  await page.setInputFiles('#load-file', saved);
  await page.waitForFunction(() => (document.querySelector('#sample') as HTMLElement).dataset.origin === 'loaded' || !document.querySelector('#error')!.hasAttribute('hidden'));
  if (await page.isVisible('#error')) throw failWithProblems(`Loading failed: ${await page.textContent('#error')}`);
  const after = await shownSample(page);
  expect(after.text).toBe(before.text);
  expect(after).toMatchObject({ prime: SAMPLING.prime, seed: SAMPLING.seed, temperature: SAMPLING.temperature });
  expect(await page.inputValue('#cell')).toBe('lstm');
  expect(await page.isDisabled('#cell')).toBe(true);
  const loadedInfo = (await page.textContent('#model-info'))!;
  expect(loadedInfo).toContain(`loaded from ${download.suggestedFilename()}`);

  // A damaged file is refused on the page, and the loaded model stays.
  const damaged = join(temporaryDirectory, 'damaged.safetensors');
  writeFileSync(damaged, readFileSync(saved).subarray(0, 100));
  await page.setInputFiles('#load-file', damaged);
  await page.waitForFunction(() => !document.querySelector('#error')!.hasAttribute('hidden'));
  const refusal = (await page.textContent('#error'))!;
  expect(refusal.length).toBeGreaterThan(10);
  expect(await page.textContent('#model-info')).toBe(loadedInfo);
  expect(await page.isEnabled('#train')).toBe(true);
  await page.click('#sample-now');
  await page.waitForFunction(() => (document.querySelector('#sample') as HTMLElement).dataset.origin === 'requested');
  expect((await shownSample(page)).text).toBe(before.text);
  console.log(`damaged file refused: ${refusal}`);

  if (problems.length > 0) throw failWithProblems('The page logged errors:');
  handedOver = { page, problems };
});

/** Records every (step, loss) pair the page shows, as rendered, in window.shownLosses. */
async function recordShownLosses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shown: { step: number; loss: string }[] = [];
    (window as unknown as { shownLosses: typeof shown }).shownLosses = shown;
    const loss = document.querySelector('#loss')!;
    // The page renders step and loss together, so each change of the loss comes with its step.
    new MutationObserver(() => shown.push({ step: Number(document.querySelector('#step')!.textContent), loss: loss.textContent ?? '' })).observe(loss, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}

async function shownLosses(page: Page): Promise<{ step: number; loss: string }[]> {
  return page.evaluate(() => (window as unknown as { shownLosses: { step: number; loss: string }[] }).shownLosses.slice());
}

test('the copy-memory task reports recall accuracy; after a GPU device loss it recovers from the in-memory checkpoint and trains on as before', async () => {
  let page: Page;
  let problems: string[];
  if (handedOver) {
    // The first test's page, with its loaded model: Reset discards it, the worker and its device stay.
    ({ page, problems } = handedOver);
    handedOver = undefined;
    await page.click('#reset');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelector('#model-info')!.textContent === 'none yet');
    expect(await page.textContent('#checkpoint')).toBe('–');
    await page.fill('#prime', '');
  } else {
    page = await openPage();
    problems = watchProblems(page);
    await page.goto(baseUrl);
    await waitUntilReady(page, problems);
  }
  const firstAdapter = (await page.textContent('#adapter'))!;
  await page.selectOption('#source', 'copy-memory');
  expect(await page.inputValue('#seq')).toBe('20');
  await page.selectOption('#copy-symbols', '2');
  await page.selectOption('#cell', 'gru');
  await page.fill('#hidden', '16');
  await page.fill('#seq', '12');
  await page.fill('#batch', '8');
  await recordShownLosses(page);
  expect(await page.isDisabled('#simulate-loss')).toBe(true);
  await page.click('#train');
  // Validation (every 25 steps) reports the recall accuracy; a checkpoint is taken every 50 steps;
  // then a few more steps, so that some shown losses come after the checkpoint.
  await page.waitForFunction(
    () => {
      if (!document.querySelector('#error')!.hasAttribute('hidden')) return true;
      const checkpoint = Number((document.querySelector('#checkpoint') as HTMLElement).dataset.step ?? 0);
      const step = Number(document.querySelector('#step')!.textContent);
      return document.querySelector('#recall')!.textContent !== '–' && checkpoint >= 50 && step >= checkpoint + 10;
    },
    undefined,
    { timeout: 30_000 },
  );
  if (await page.isVisible('#error')) throw new Error(`Training failed: ${await page.textContent('#error')}\n${problems.join('\n')}`);
  expect(await page.textContent('#recall')).toMatch(/^\d+(\.\d)?%$/);

  // The GPU device is lost while training (the worker destroys its device, as a driver reset would).
  await page.click('#fault-injection summary');
  await page.click('#simulate-loss');
  await page.waitForFunction(() => !document.querySelector('#device-lost')!.hasAttribute('hidden'), undefined, { timeout: 10_000 });
  const headline = (await page.textContent('#device-lost-headline'))!;
  const action = (await page.textContent('#device-lost-action'))!;
  const lostStep = Number(/^The GPU device was lost at step (\d+)\.$/.exec(headline)?.[1]);
  const checkpointStep = Number(/^Recover from the checkpoint of step (\d+)\b/.exec(action)?.[1]);
  expect(headline).toMatch(/^The GPU device was lost at step \d+\.$/);
  expect(checkpointStep % 50).toBe(0);
  expect(lostStep).toBeGreaterThan(checkpointStep);
  expect(await page.getAttribute('#checkpoint', 'data-step')).toBe(String(checkpointStep));
  expect(await page.textContent('#device-lost-detail')).toMatch(/^The GPU device was lost \(destroyed\)/);
  expect(await page.getAttribute('body', 'data-state')).toBe('lost');
  for (const button of ['#train', '#pause', '#save', '#reset', '#sample-now', '#simulate-loss']) expect(await page.isDisabled(button), button).toBe(true);
  expect(await page.isEnabled('#recover')).toBe(true);
  expect(await page.isVisible('#error')).toBe(false);
  // Nothing more arrives from the lost run.
  const stepAtLoss = await numberIn(page, '#step');
  await page.waitForTimeout(300);
  expect(await numberIn(page, '#step')).toBe(stepAtLoss);
  await page.screenshot({ path: SCREENSHOT_DEVICE_LOST, fullPage: true });
  const beforeLoss = await shownLosses(page);

  // Recover: a new device, the model from the checkpoint, paused at its step.
  const recoveryStarted = performance.now();
  await page.click('#recover');
  await page.waitForFunction(() => document.body.dataset.state !== 'lost' && document.body.dataset.state !== 'recovering', undefined, { timeout: 20_000 });
  const recoverySeconds = (performance.now() - recoveryStarted) / 1000;
  if (await page.isVisible('#error')) throw new Error(`Recovery failed: ${await page.textContent('#error')}\n${problems.join('\n')}`);
  expect(await page.getAttribute('body', 'data-state')).toBe('paused');
  expect(await page.isVisible('#device-lost')).toBe(false);
  expect(await numberIn(page, '#step')).toBe(checkpointStep);
  expect(await page.textContent('#status')).toBe(`recovered at step ${checkpointStep}: Train continues from there`);
  expect(await page.textContent('#adapter')).toBe(firstAdapter);

  // Train again: the steps continue from the checkpoint's, and retrace the lost ones exactly.
  const recovered = (await shownLosses(page)).length;
  await page.click('#train');
  await page.waitForFunction((until) => Number(document.querySelector('#step')!.textContent) >= until || !document.querySelector('#error')!.hasAttribute('hidden'), lostStep + 5, {
    timeout: 20_000,
  });
  await page.click('#pause');
  await page.waitForFunction(() => document.body.dataset.state === 'paused' && (document.querySelector('#sample') as HTMLElement).dataset.origin === 'paused');
  if (await page.isVisible('#error')) throw new Error(`Training after recovery failed: ${await page.textContent('#error')}\n${problems.join('\n')}`);
  const steps = await numberIn(page, '#step');
  const afterRecovery = (await shownLosses(page)).slice(recovered);
  expect(afterRecovery[0].step).toBe(checkpointStep + 1);
  const lostLosses = beforeLoss.filter((shown) => shown.step > checkpointStep);
  const retraced = lostLosses.filter((lost) => afterRecovery.some((again) => again.step === lost.step));
  expect(retraced.length).toBeGreaterThan(0);
  for (const lost of retraced) expect(afterRecovery.find((again) => again.step === lost.step)?.loss, `loss at step ${lost.step}`).toBe(lost.loss);
  const losses = [...beforeLoss, ...afterRecovery].map((shown) => Number(shown.loss));
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(await numberIn(page, '#loss')).toBeLessThan(await numberIn(page, '#first-loss'));
  // Pausing took a checkpoint of the paused step.
  await page.waitForFunction((step) => (document.querySelector('#checkpoint') as HTMLElement).dataset.step === String(step), steps);

  const recall = (await page.textContent('#recall'))!;
  expect(recall).toMatch(/^\d+(\.\d)?%$/);
  expect(await page.textContent('#data-info')).toMatch(/^copy 2 symbols across 8 blanks/);
  const sample = await shownSample(page);
  // Primed with the 2 symbols, the sample continues the sequence to its full T + 1 = 13 characters.
  expect(sample.prime).toMatch(/^[a-h]{2}$/);
  expect(sample.text).toHaveLength(13);
  expect(sample.text.slice(0, 2)).toBe(sample.prime);
  console.log(
    `copy task (GRU, 2 symbols across 8 blanks): device lost at step ${lostStep}, recovered from the checkpoint of step ${checkpointStep} in ${recoverySeconds.toFixed(1)} s; ` +
      `losses shown again: ${retraced.map((shown) => `${shown.step}: ${shown.loss}`).join(', ')}; recall ${recall} after ${steps} steps, loss ${await page.textContent('#first-loss')} -> ` +
      `${await page.textContent('#loss')}; sample ${JSON.stringify(sample.text)}`,
  );
  await page.close();
  expect(problems).toEqual([]);
});

test('the library build trains on the main thread of a page, with nothing from Node or Dawn requested', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(`${baseUrl}library.html`);
  await page.waitForFunction(() => 'result' in window, undefined, { timeout: 30_000 });
  const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
    error?: string;
    adapter: string;
    losses: number[];
    sample: string;
    sampleAfterReload: string;
  };
  await page.close();
  if (result.error) throw new Error(`The library failed on the page: ${result.error}`);
  console.log(`library on the main thread: ${result.adapter}; losses ${result.losses.map((loss) => loss.toFixed(4)).join(', ')}; sample ${JSON.stringify(result.sample)}`);
  expect(result.losses.every(Number.isFinite)).toBe(true);
  expect(result.losses[2]).toBeLessThan(result.losses[0]);
  expect(result.sample).toHaveLength(20);
  expect(result.sampleAfterReload).toBe(result.sample);
  // Only the page and the library's own entry chunk: the Node adapter chunk is never fetched.
  const scripts = requested.filter((path) => path.endsWith('.js')).map((path) => path.replace(/-[\w-]{8}\.js$/, '.js'));
  expect(scripts.sort()).toEqual(['/lib/adapter-choice.js', '/lib/webgpu-rnn.js']);
  expect(problems).toEqual([]);
});

test('a browser without WebGPU is told that the demo needs it, and which browsers have it', async () => {
  const page = await openPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto(baseUrl);
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  const message = (await page.textContent('#error'))!;
  expect(message).toMatch(/needs WebGPU/);
  expect(message).toMatch(/Chrome and Edge 113/);
  expect(message).toMatch(/Safari 26/);
  expect(message).toMatch(/Firefox 141 or later on Windows/);
  expect(await page.isVisible('#error')).toBe(true);
  expect(await page.isDisabled('#train')).toBe(true);
  expect(problems).toEqual([]);
  await page.close();
});
