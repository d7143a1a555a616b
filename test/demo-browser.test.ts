/**
 * The demo page in a real browser: builds demo/ with Vite, serves it on
 * 127.0.0.1, opens it in Debian's Chromium (WebGPU on SwiftShader, headless)
 * through playwright-core, trains until the loss has clearly fallen, pauses
 * and checks that a sample is written. Saves test-artifacts/demo.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';

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

/** Small sizes: SwiftShader runs the kernels on the CPU. */
const TEST_SETTINGS = { hidden: '32', seq: '16', batch: '8' };
/**
 * Measured with these settings: the first loss is ln(43) ≈ 3.76, the loss is ≈ 2.9 (0.77 ×) at
 * step 30 once character frequencies are learnt, and ≈ 2.3 (0.61 ×) by step 100.
 */
const MIN_STEPS = 100;
/** The shown loss must fall below this fraction of the first logged loss. */
const LOSS_FRACTION = 0.75;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

let temporaryDirectory: string;
let server: Server | undefined;
let baseUrl: string;
let browser: BrowserContext | undefined;

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
  });
  return browser.newPage();
}

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
});

async function numberIn(page: Page, selector: string): Promise<number> {
  return Number(await page.textContent(selector));
}

test('the demo trains on WebGPU in Chromium, the loss falls and a sample is written', async () => {
  const page = await openPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  const failWithProblems = (what: string) => new Error(`${what}\n${problems.join('\n')}`);

  await page.goto(baseUrl);
  await page.waitForFunction(() => document.querySelector('#adapter')?.textContent !== '–' || document.body.dataset.state === 'error');
  if ((await page.getAttribute('body', 'data-state')) === 'error') {
    throw failWithProblems(`The page shows an error: ${await page.textContent('#error')}`);
  }
  const adapter = (await page.textContent('#adapter'))!;
  expect(adapter).toMatch(/swiftshader/i);

  await page.fill('#hidden', TEST_SETTINGS.hidden);
  await page.fill('#seq', TEST_SETTINGS.seq);
  await page.fill('#batch', TEST_SETTINGS.batch);
  const started = performance.now();
  await page.click('#train');
  await page.waitForFunction(
    ({ minSteps, fraction }) => {
      if (document.body.dataset.state === 'error') return true;
      const step = Number(document.querySelector('#step')!.textContent);
      const loss = Number(document.querySelector('#loss')!.textContent);
      const first = Number(document.querySelector('#first-loss')!.textContent);
      return step >= minSteps && loss < fraction * first;
    },
    { minSteps: MIN_STEPS, fraction: LOSS_FRACTION },
    { timeout: 90_000 },
  );
  const trainingSeconds = (performance.now() - started) / 1000;
  if ((await page.getAttribute('body', 'data-state')) === 'error') {
    throw failWithProblems(`Training failed: ${await page.textContent('#error')}`);
  }
  await page.click('#pause');
  await page.waitForFunction(() => document.body.dataset.state === 'paused' && document.querySelector('#sample')!.textContent !== '');

  const firstLoss = await numberIn(page, '#first-loss');
  const lastLoss = await numberIn(page, '#loss');
  const steps = await numberIn(page, '#step');
  const sample = (await page.textContent('#sample'))!;
  console.log(
    `demo: ${adapter}; loss ${firstLoss} -> ${lastLoss} nats/char after ${steps} steps ` +
      `(${trainingSeconds.toFixed(1)} s to reach ${LOSS_FRACTION} × first), ${await page.textContent('#speed')} chars/s\n` +
      `sample: ${JSON.stringify(sample.slice(0, 120))}`,
  );

  mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.close();

  expect(lastLoss).toBeLessThan(LOSS_FRACTION * firstLoss);
  expect(steps).toBeGreaterThanOrEqual(MIN_STEPS);
  expect(sample.trim().length).toBeGreaterThan(0);
  if (problems.length > 0) throw failWithProblems('The page logged errors:');
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
