/**
 * The demo page in a real browser: builds demo/ with Vite, serves it on
 * 127.0.0.1, opens it in Debian's Chromium (WebGPU on SwiftShader, headless)
 * through playwright-core. A small LSTM trains in the page's worker until the
 * loss has clearly fallen and a sample has appeared, while the page stays
 * responsive, and the status says when kernels compile; the learning rate
 * changes while training; Sample leaves the status at 'paused'; Save downloads a
 * checkpoint; after Reset, loading it restores the step, the loss curves and the
 * learning rate and gives the very same sample for the same seed, prime and
 * temperature, even under a long file name that must not break the layout; a
 * damaged file is refused in plain words naming it, with the model kept, the
 * error floating over the page and gone after the next success. Also: the
 * copy-memory task reports recall accuracy; a GPU device lost while training
 * (the worker destroys its device) is reported with the step and the in-memory
 * checkpoint's, and Recover restores the model from that checkpoint on a new
 * device, from where training retraces the lost steps with the same losses; the
 * library build runs on a page's main thread; a browser without WebGPU is told
 * so; the ready corpora show their sizes and a text fetched by URL (served
 * here) fills the box; the page fits a phone-sized screen. Saves
 * test-artifacts/demo.png, demo-device-lost.png and demo-phone.png. Any console
 * error fails the test.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { CharacterVocabulary, decodeSafetensors } from '../src/index.ts';
import { closeServer, launchBrowser, serveDirectory, watchProblems } from './browser-harness.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = join(PROJECT_ROOT, 'test-artifacts', 'demo.png');
const SCREENSHOT_DEVICE_LOST = join(PROJECT_ROOT, 'test-artifacts', 'demo-device-lost.png');
const SCREENSHOT_PHONE = join(PROJECT_ROOT, 'test-artifacts', 'demo-phone.png');
const PHONE_VIEWPORT = { width: 390, height: 844 };
const BOOK_TEXT = 'It was a bright cold day in the workshop, and the clocks were striking the hour.\n'.repeat(40);

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
/**
 * While the worker trains, the page's main thread must answer its timers: no gap longer than
 * MAX_MAIN_THREAD_STALL_MS, and gaps over STALL_MS no more than MAX_STALLED_SHARE of the time.
 * (Training on the main thread would stall it at every step. On a shared 2-core machine the
 * renderer alone is sometimes descheduled for 1-2 s, so the longest gap is bounded loosely.)
 */
const MAX_MAIN_THREAD_STALL_MS = 3000;
const STALL_MS = 250;
const MAX_STALLED_SHARE = 0.25;
/**
 * A first Train compiles the model's kernels: 10-30 s on SwiftShader, one to two minutes when
 * the machine is shared and loaded (measured at a load average of 20-27 on 2 cores); the tests
 * that compile get LONG_TEST_MS.
 */
const COMPILE_AND_TRAIN_TIMEOUT_MS = 150_000;
const LOAD_TIMEOUT_MS = 60_000;
const LONG_TEST_MS = 400_000;


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
  // A text to fetch by URL, as a public-domain book would be.
  writeFileSync(join(outDir, 'book.txt'), BOOK_TEXT);
  ({ server, baseUrl } = await serveDirectory(outDir));
});

/** The browser, launched on first use; a missing Chromium fails each test that needs it. */
async function openPage(): Promise<Page> {
  browser ??= await launchBrowser(join(temporaryDirectory, 'profile'));
  return browser.newPage();
}

/** A test that failed leaves no page behind to keep the GPU busy (the page handed over to the next test stays). */
afterEach(async () => {
  for (const page of browser?.pages() ?? []) if (page !== handedOver?.page) await page.close();
});

afterAll(async () => {
  await handedOver?.page.close();
  await browser?.close();
  await closeServer(server);
  if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
});


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

test('an LSTM trains in the worker with its first-run stages shown, its learning rate changed live; a saved checkpoint loaded after Reset resumes its step and curves and writes the same sample; a damaged file is refused by name', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  const failWithProblems = (what: string) => new Error(`${what}\n${problems.join('\n')}`);

  await page.goto(baseUrl);
  await waitUntilReady(page, problems);
  const adapter = (await page.textContent('#adapter'))!;
  expect(adapter).toMatch(/swiftshader/i);
  // A software adapter is named as such, with a word on what that means for speed.
  expect(await page.isVisible('#software-note')).toBe(true);
  await recordStatuses(page);

  // The page's own start-up work is done: the ready texts are measured (the source code is 260k characters).
  await page.waitForFunction(() => [...document.querySelectorAll('[data-size-for]')].every((label) => label.textContent !== '…'));

  // The gaps between timer ticks on the page's main thread, while the worker trains.
  await page.evaluate((stallMs) => {
    const state = { start: performance.now(), last: performance.now(), longest: 0, stalled: 0 };
    (window as unknown as { mainThreadStall: typeof state }).mainThreadStall = state;
    setInterval(() => {
      const now = performance.now();
      const gap = now - state.last;
      state.longest = Math.max(state.longest, gap);
      if (gap > stallMs) state.stalled += gap;
      state.last = now;
    }, 50);
  }, STALL_MS);

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
    { timeout: COMPILE_AND_TRAIN_TIMEOUT_MS },
  );
  const trainingSeconds = (performance.now() - started) / 1000;
  if ((await page.getAttribute('body', 'data-state')) === 'error' || (await page.isVisible('#error'))) {
    throw failWithProblems(`Training failed: ${await page.textContent('#error')}`);
  }
  const trainingSample = await shownSample(page);
  const { longestStall, stalledShare } = await page.evaluate(() => {
    const state = (window as unknown as { mainThreadStall: { start: number; longest: number; stalled: number } }).mainThreadStall;
    return { longestStall: state.longest, stalledShare: state.stalled / (performance.now() - state.start) };
  });
  // The first Train said what the wait was for: compiling the kernels, then the first step.
  const statuses = await page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
  expect(statuses).toContain('compiling the GPU kernels…');
  expect(statuses.indexOf('training')).toBeGreaterThan(statuses.indexOf('compiling the GPU kernels…'));

  // The learning rate changes while training: the worker applies it to the model from its next step.
  await page.fill('#lr', '0.015');
  await page.dispatchEvent('#lr', 'change');
  await page.waitForFunction(() => (document.querySelector('#lr') as HTMLElement).dataset.modelRate === '0.015', undefined, { timeout: 10_000 });
  expect(await page.getAttribute('body', 'data-state')).toBe('training');

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
      `longest main-thread stall ${longestStall.toFixed(0)} ms, ${(100 * stalledShare).toFixed(1)}% of the time in stalls over ${STALL_MS} ms\n` +
      `sample during training: ${JSON.stringify(trainingSample.text.slice(0, 80))}\n` +
      `sample at pause: ${JSON.stringify(before.text.slice(0, 80))}`,
  );
  expect(lastLoss).toBeLessThan(LOSS_FRACTION * firstLoss);
  expect(steps).toBeGreaterThanOrEqual(MIN_STEPS);
  expect(before.text.length).toBeGreaterThan(SAMPLING.prime.length);
  expect(longestStall).toBeLessThan(MAX_MAIN_THREAD_STALL_MS);
  expect(stalledShare).toBeLessThan(MAX_STALLED_SHARE);
  expect(await page.textContent('#memory')).toMatch(/^≈ \d/);

  // Sample on request: the status says paused again afterwards, and the earlier samples stay listed by step.
  await page.fill('#sample-seed', '8');
  await page.click('#sample-now');
  await page.waitForFunction(() => (document.querySelector('#sample') as HTMLElement).dataset.origin === 'requested');
  expect(await page.textContent('#status')).toBe(`paused at step ${steps}`);
  expect(await page.isEnabled('#train')).toBe(true);
  const historySteps = await page.$$eval('#sample-history li', (items) => items.map((item) => Number((item as HTMLElement).dataset.step)));
  expect(historySteps.length).toBeGreaterThanOrEqual(2);
  expect(historySteps[0]).toBe(steps);
  expect(historySteps.every((step, i) => i === 0 || step <= historySteps[i - 1])).toBe(true);
  await page.fill('#sample-seed', SAMPLING.seed);

  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Save: a checkpoint download whose metadata holds the vocabulary, the step and the loss history.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`-step${steps}-checkpoint\\.safetensors$`));
  // A long name, as downloads get: the page must not break its layout over it.
  const saved = join(temporaryDirectory, `${'a-very-long-name-of-a-saved-run-'.repeat(4)}${download.suggestedFilename()}`);
  await download.saveAs(saved);
  const { metadata } = decodeSafetensors(new Uint8Array(readFileSync(saved)));
  expect(metadata).toMatchObject({ cell: 'lstm', layers: '1', hidden_size: '32', kind: 'checkpoint' });
  expect(CharacterVocabulary.fromMetadata(metadata).size).toBe(Number(metadata.input_size));

  // Reset: nothing of the model survives but the file; no step, no curves. (The worker and its
  // compiled pipelines stay: a reload would compile them again, 20-60 s on a loaded SwiftShader.)
  await page.click('#reset');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelector('#model-info')!.textContent === 'none yet');
  expect(await numberIn(page, '#step')).toBe(0);
  expect(await page.isVisible('#chart-empty')).toBe(true);
  await setSampling(page);
  await page.setInputFiles('#load-file', saved);
  await page.waitForFunction(
    () => (document.querySelector('#sample') as HTMLElement).dataset.origin === 'loaded' || !document.querySelector('#error')!.hasAttribute('hidden'),
    undefined,
    { timeout: LOAD_TIMEOUT_MS },
  );
  if (await page.isVisible('#error')) throw failWithProblems(`Loading failed: ${await page.textContent('#error')}`);
  const after = await shownSample(page);
  expect(after.text).toBe(before.text);
  expect(after).toMatchObject({ prime: SAMPLING.prime, seed: SAMPLING.seed, temperature: SAMPLING.temperature });
  expect(await page.inputValue('#cell')).toBe('lstm');
  expect(await page.isDisabled('#cell')).toBe(true);
  const fileName = basename(saved);
  const loadedInfo = (await page.textContent('#model-info'))!;
  expect(loadedInfo).toContain(`loaded from ${fileName}`);
  // The checkpoint resumes where it stopped: its step, its first and last loss, its validation, its learning rate.
  expect(await numberIn(page, '#step')).toBe(steps);
  expect(await page.textContent('#status')).toBe(`loaded ${fileName} at step ${steps}`);
  expect(await numberIn(page, '#first-loss')).toBe(firstLoss);
  expect(await numberIn(page, '#loss')).toBe(lastLoss);
  expect(await page.textContent('#val-loss')).toBe(validationLoss);
  expect(await page.getAttribute('#lr', 'data-model-rate')).toBe('0.015');
  expect(await page.isVisible('#chart')).toBe(true);
  expect(await page.isVisible('#chart-empty')).toBe(false);
  // The long file name neither widens the page nor wraps the status into a column.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  expect((await page.locator('#status').boundingBox())!.height).toBeLessThan(40);

  // A damaged file is refused in plain words naming it, the loaded model stays, and the error floats over the page.
  const layoutTop = (await page.locator('.layout').boundingBox())!.y;
  const damaged = join(temporaryDirectory, 'damaged.safetensors');
  writeFileSync(damaged, readFileSync(saved).subarray(0, 100));
  await page.setInputFiles('#load-file', damaged);
  await page.waitForFunction(() => !document.querySelector('#error')!.hasAttribute('hidden'));
  const refusal = (await page.textContent('#error'))!;
  expect(refusal).toMatch(/^Could not load damaged\.safetensors: .+\. The current model was kept\.$/);
  expect(refusal).not.toMatch(/maxHeaderBytes|options\./);
  expect((await page.textContent('#error-detail'))!.length).toBeGreaterThan(10);
  expect((await page.locator('.layout').boundingBox())!.y).toBe(layoutTop);
  expect(await page.textContent('#model-info')).toBe(loadedInfo);
  expect(await page.isEnabled('#train')).toBe(true);
  await page.click('#sample-now');
  await page.waitForFunction(() => (document.querySelector('#sample') as HTMLElement).dataset.origin === 'requested');
  expect((await shownSample(page)).text).toBe(before.text);
  // The old error is gone after the next success.
  expect(await page.isVisible('#error')).toBe(false);
  expect(await page.textContent('#status')).toBe(`paused at step ${steps}`);
  console.log(`damaged file refused: ${refusal}`);

  if (problems.length > 0) throw failWithProblems('The page logged errors:');
  handedOver = { page, problems };
}, LONG_TEST_MS);

/** Records every status the page shows, in order, in window.statuses. */
async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const statuses: string[] = [];
    (window as unknown as { statuses: string[] }).statuses = statuses;
    const status = document.querySelector('#status')!;
    new MutationObserver(() => statuses.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
}

/**
 * Records every (step, loss) pair the page shows while training, as rendered, in window.shownLosses.
 * Each progress message shows a new step with its loss (rendered together), so the step's changes are
 * watched: the loss's text may repeat on a plateau (and then does not change), the step's does not.
 */
async function recordShownLosses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shown: { step: number; loss: string }[] = [];
    (window as unknown as { shownLosses: typeof shown }).shownLosses = shown;
    const step = document.querySelector('#step')!;
    new MutationObserver(() => {
      // A pause, a recovery or a lost device shows a step too, with no new loss: only training's steps count.
      if (document.body.dataset.state !== 'training') return;
      shown.push({ step: Number(step.textContent), loss: document.querySelector('#loss')!.textContent ?? '' });
    }).observe(step, { childList: true, characterData: true, subtree: true });
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
  await page.check('#corpus-copy-memory');
  expect(await page.inputValue('#seq')).toBe('20');
  await page.selectOption('#copy-symbols', '2');
  await page.selectOption('#cell', 'gru');
  await page.fill('#hidden', '16');
  await page.fill('#seq', '12');
  await page.fill('#batch', '8');
  await recordShownLosses(page);
  expect(await page.isDisabled('#simulate-loss')).toBe(true);
  await page.click('#advanced summary');
  // The GPU device is lost while training (the worker destroys its device, as a driver reset would).
  // Validation (every 25 steps) reports the recall accuracy; a checkpoint is taken every 50 steps. The page
  // itself presses Simulate loss at the first shown step 10 past a checkpoint, so that some shown losses
  // come after the checkpoint however fast the steps run (the worker takes the press within a few steps).
  await page.evaluate(() => {
    const step = document.querySelector('#step')!;
    const observer = new MutationObserver(() => {
      if (document.body.dataset.state !== 'training') return;
      const checkpoint = Number((document.querySelector('#checkpoint') as HTMLElement).dataset.step ?? 0);
      const shown = Number(step.textContent);
      if (document.querySelector('#recall')!.textContent === '–' || checkpoint < 50 || shown < checkpoint + 10) return;
      observer.disconnect();
      (document.querySelector('#simulate-loss') as HTMLButtonElement).click();
    });
    observer.observe(step, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#train');
  await page.waitForFunction(
    () => !document.querySelector('#error')!.hasAttribute('hidden') || !document.querySelector('#device-lost')!.hasAttribute('hidden'),
    undefined,
    { timeout: COMPILE_AND_TRAIN_TIMEOUT_MS },
  );
  if (await page.isVisible('#error')) throw new Error(`Training failed: ${await page.textContent('#error')}\n${problems.join('\n')}`);
  expect(await page.textContent('#recall')).toMatch(/^\d+(\.\d)?%$/);
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
  await page.waitForFunction(() => document.body.dataset.state !== 'lost' && document.body.dataset.state !== 'recovering', undefined, { timeout: COMPILE_AND_TRAIN_TIMEOUT_MS });
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
    timeout: COMPILE_AND_TRAIN_TIMEOUT_MS,
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
}, LONG_TEST_MS);

test('the library build trains on the main thread of a page, with nothing from Node or Dawn requested', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(`${baseUrl}library.html`);
  await page.waitForFunction(() => 'result' in window, undefined, { timeout: COMPILE_AND_TRAIN_TIMEOUT_MS });
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
}, LONG_TEST_MS);

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

test('texts: the ready corpora show their sizes; a URL fills the box, and an unreachable one is named in a plain error', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  // The 404 below is the test's own doing: the page reports it, the browser logs the failed request.
  const expectedFailure = /404|book-missing/;
  await page.goto(baseUrl);
  await waitUntilReady(page, problems);
  for (const id of ['essay', 'source', 'arithmetic', 'grammar']) {
    await page.waitForFunction((which) => /characters, \d+ distinct/.test(document.querySelector(`[data-size-for="${which}"]`)!.textContent ?? ''), id);
  }
  await page.check('#corpus-arithmetic');
  await page.waitForFunction(() => /^\d+[+-]\d+=-?\d+\n/.test((document.querySelector('#text') as HTMLTextAreaElement).value));
  expect(await page.textContent('#corpus-blurb')).toMatch(/37\+45=82/);

  await page.fill('#text-url', `${baseUrl}book.txt`);
  await page.click('#fetch-url');
  await page.waitForFunction((expected) => (document.querySelector('#text') as HTMLTextAreaElement).value === expected, BOOK_TEXT);
  expect(await page.isChecked('#corpus-custom')).toBe(true);
  expect(await page.textContent('[data-size-for="custom"]')).toMatch(/^3,240 characters, \d+ distinct · book\.txt$/);

  await page.fill('#text-url', `${baseUrl}book-missing.txt`);
  await page.click('#fetch-url');
  await page.waitForFunction(() => !document.querySelector('#error')!.hasAttribute('hidden'));
  expect(await page.textContent('#error')).toBe(`Could not read ${baseUrl}book-missing.txt: the server answered 404 Not Found. The text was kept.`);
  expect(await page.inputValue('#text')).toBe(BOOK_TEXT);
  await page.click('#dismiss-error');
  expect(await page.isVisible('#error')).toBe(false);
  await page.close();
  expect(problems.filter((problem) => !expectedFailure.test(problem))).toEqual([]);
});

test('on a phone-sized screen the page is one column, nothing sticks out sideways, and nothing is logged as an error', async () => {
  const page = await openPage();
  const problems = watchProblems(page);
  await page.setViewportSize(PHONE_VIEWPORT);
  await page.goto(baseUrl);
  await waitUntilReady(page, problems);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
  const controls = (await page.locator('.controls').boundingBox())!;
  const dashboard = (await page.locator('.dashboard').boundingBox())!;
  expect(dashboard.y).toBeGreaterThanOrEqual(controls.y + controls.height);
  expect(controls.width).toBeGreaterThan(PHONE_VIEWPORT.width * 0.85);
  for (const selector of ['#corpus-essay', '#train', '#sample-now', '#chart-empty']) {
    const box = (await page.locator(selector).boundingBox())!;
    expect(box.x, selector).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, selector).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
  }
  // Buttons large enough to tap.
  expect((await page.locator('#train').boundingBox())!.height).toBeGreaterThanOrEqual(36);
  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT_PHONE, fullPage: true });
  await page.close();
  expect(problems).toEqual([]);
});
