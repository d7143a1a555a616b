/**
 * The three examples in examples/ in a real browser (Chromium, WebGPU on
 * SwiftShader): the library is built as the package ships it, the examples are
 * built against it under its package name 'webgpu-rnn', served on 127.0.0.1 and
 * run with few training steps (SwiftShader runs the kernels on the CPU). Each
 * must finish without a console error and give numbers that show it worked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CharacterVocabulary, decodeSafetensors } from '../src/index.ts';
import { closeServer, launchBrowser, serveDirectory, watchProblems } from './browser-harness.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(PROJECT_ROOT, 'examples');
/** Lines an example may have: small enough to read in one sitting. */
const MAX_EXAMPLE_LINES = 150;

let temporaryDirectory: string;
let server: Server | undefined;
let baseUrl: string;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  temporaryDirectory = mkdtempSync(join(tmpdir(), 'webgpu-rnn-examples-'));
  const library = join(temporaryDirectory, 'lib');
  await build({ configFile: join(PROJECT_ROOT, 'vite.lib.config.ts'), root: PROJECT_ROOT, logLevel: 'error', build: { outDir: library, emptyOutDir: true, sourcemap: false } });
  process.env.WEBGPU_RNN_LIBRARY = join(library, 'webgpu-rnn.js');
  const site = join(temporaryDirectory, 'site');
  await build({ configFile: join(EXAMPLES, 'vite.config.ts'), root: EXAMPLES, logLevel: 'error', build: { outDir: site, emptyOutDir: true } });
  ({ server, baseUrl } = await serveDirectory(site));
  browser = await launchBrowser(join(temporaryDirectory, 'profile'));
});

afterAll(async () => {
  await browser?.close();
  await closeServer(server);
  delete process.env.WEBGPU_RNN_LIBRARY;
  if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
});

/** Opens an example and waits until it says it is done (or failed); returns its result and the problems logged. */
async function runExample<T>(path: string, until: 'done' | 'ready' = 'done'): Promise<{ page: Page; result: T; problems: string[] }> {
  const page = await browser!.newPage();
  const problems = watchProblems(page);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(`${baseUrl}${path}`);
  try {
    await page.waitForFunction((state) => document.body.dataset.state === state || document.body.dataset.state === 'error', until, { timeout: 100_000 });
  } catch (error) {
    throw new Error(`${path} did not finish; its status: ${await page.textContent('#status')}\n${problems.join('\n')}`, { cause: error });
  }
  if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(`${path} failed: ${await page.textContent('#status')}\n${problems.join('\n')}`);
  // Only the example's own files and the library: nothing of Node or Dawn.
  expect(requested.filter((request) => /node-adapters|webgpu\/|node:/.test(request))).toEqual([]);
  return { page, result: (await page.evaluate(() => (window as unknown as { exampleResult: unknown }).exampleResult)) as T, problems };
}

test('each example is small and imports the library only by its package name', () => {
  for (const name of ['forecasting', 'classification', 'text-generation']) {
    const source = readFileSync(join(EXAMPLES, `${name}.ts`), 'utf8');
    expect(source.split('\n').length, name).toBeLessThanOrEqual(MAX_EXAMPLE_LINES);
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    expect(imports.filter((path) => path.includes('src/')), name).toEqual([]);
    expect(imports, name).toContain('webgpu-rnn');
  }
});

test('forecasting: a GRU on dense inputs with MSE learns the series and forecasts it', async () => {
  const { page, result, problems } = await runExample<{ losses: number[]; forecast: number[]; rmse: number; rms: number }>('forecasting.html?steps=60&horizon=24');
  console.log(`forecasting: MSE ${result.losses.map((loss) => loss.toFixed(3)).join(' → ')}; forecast RMSE ${result.rmse.toFixed(3)} against the series' RMS ${result.rms.toFixed(3)}`);
  expect(result.losses.at(-1)!).toBeLessThan(0.6 * result.losses[0]);
  expect(result.forecast).toHaveLength(24);
  expect(result.forecast.every(Number.isFinite)).toBe(true);
  expect(await page.textContent('#summary')).toMatch(/^Training error .* root mean squared error \d/);
  await page.close();
  expect(problems).toEqual([]);
});

test('classification: an LSTM over sequences of different lengths, one class each, gets better than chance', async () => {
  const { page, result, problems } = await runExample<{ losses: number[]; accuracyBefore: number; accuracyAfter: number }>('classification.html?steps=60');
  console.log(`classification: loss ${result.losses[0].toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}; held-out accuracy ${result.accuracyBefore} → ${result.accuracyAfter}`);
  expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]);
  expect(result.accuracyAfter).toBeGreaterThan(0.5);
  expect((await page.textContent('#examples'))!.split('→')).toHaveLength(5);
  await page.close();
  expect(problems).toEqual([]);
});

test('text generation: the bundled .safetensors model loads and writes on the GPU, in its own vocabulary', async () => {
  const bundled = decodeSafetensors(new Uint8Array(readFileSync(join(EXAMPLES, 'text-model.safetensors'))));
  const vocabulary = CharacterVocabulary.fromMetadata(bundled.metadata).characters;
  const { page, result, problems } = await runExample<{ prime: string; text: string; vocabulary: string[] }>('text-generation.html');
  console.log(`text generation (${await page.textContent('#status')}): ${JSON.stringify(result.prime + result.text.slice(0, 120))}`);
  expect(result.vocabulary).toEqual(vocabulary);
  expect(result.prime).toBe('The ');
  expect(Array.from(result.text)).toHaveLength(300);
  expect(Array.from(result.text).every((character) => vocabulary.includes(character))).toBe(true);
  // Trained on the grammar's sentences: it writes words of that grammar.
  expect(result.text).toMatch(/\b(the|a|every) (quiet|red|old|clever|tiny|distant|robot|river|teacher|lantern|garden|engine|fox|letter)\b/);
  // Another seed, another text; a file that is not a model is refused and the loaded one kept.
  await page.fill('#seed', '2');
  await page.click('#generate');
  await page.waitForFunction((first) => document.querySelector('#output')!.textContent !== first, result.prime + result.text);
  await page.setInputFiles('#model-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a model') });
  await page.waitForFunction(() => /^failed: /.test(document.querySelector('#status')!.textContent ?? ''));
  expect(await page.isEnabled('#generate')).toBe(true);
  await page.close();
  expect(problems).toEqual([]);
});
