/**
 * The library as a package: `npm pack` (its prepack script runs `npm run build`,
 * which writes dist/lib/), the tarball installed into a fresh temporary project,
 * then a plain .mjs there imports 'webgpu-rnn' and trains three steps on Dawn,
 * once per test adapter; and a TypeScript file there type-checks against the
 * shipped declarations. Dawn's `webgpu` package is linked from this project's
 * node_modules rather than downloaded.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TEST_ADAPTERS } from './gpu-adapters.ts';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const TRAIN_SCRIPT = `
import { CharacterVocabulary, createGpuContext, RnnModel, TextBatches } from 'webgpu-rnn';

const context = await createGpuContext({ adapter: process.argv[2] });
const text = 'hello recurrent world. '.repeat(20);
const vocabulary = CharacterVocabulary.fromText(text);
const batches = new TextBatches(vocabulary.encode(text), 8, 4);
const model = await RnnModel.create(context, { cell: 'lstm', vocabularySize: vocabulary.size, hiddenSize: 16, optimizer: { type: 'adam', learningRate: 0.01 } });
const losses = [];
for (let step = 0; step < 3; step++) losses.push(await model.trainStep(batches.batch(0)).loss());
console.log(JSON.stringify({ adapter: context.description, losses }));
model.dispose();
context.destroy();
`;

/** Uses the declarations the way a TypeScript consumer would; a wrong type below must be an error. */
const CONSUMER_TS = `
import { CharacterVocabulary, createGpuContext, RnnModel, sampleText, type StepResult } from 'webgpu-rnn';

export async function trainOnce(text: string): Promise<string> {
  const context = await createGpuContext();
  const vocabulary = CharacterVocabulary.fromText(text);
  const model = await RnnModel.create(context, { cell: 'gru', vocabularySize: vocabulary.size, hiddenSize: 8 });
  const tokens = vocabulary.encode(text);
  const result: StepResult = model.trainStep({ timeSteps: tokens.length - 1, batchSize: 1, inputTokens: tokens.subarray(0, -1), targets: tokens.subarray(1) });
  const loss: number = await result.loss();
  const weights: Uint8Array = await model.saveWeights({ vocabulary: vocabulary.characters.join('') });
  const again = await RnnModel.fromWeights(context, weights);
  return \`\${loss} \${await sampleText(again, vocabulary, { length: 5 })}\`;
}
`;

let temporaryDirectory: string;
let consumer: string;
let packedFiles: string[];

beforeAll(async () => {
  temporaryDirectory = mkdtempSync(join(tmpdir(), 'webgpu-rnn-package-'));
  const packDirectory = join(temporaryDirectory, 'pack');
  mkdirSync(packDirectory);
  // prepack runs `npm run build` first.
  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', packDirectory], { cwd: PROJECT_ROOT, maxBuffer: 16 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed.files.map((file) => file.path);

  consumer = join(temporaryDirectory, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'webgpu-rnn-consumer', private: true, type: 'module' }, null, 2));
  await run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', join(packDirectory, packed.filename)], { cwd: consumer });
  // Dawn's bindings (a native addon and its dependencies), linked from this project instead of downloaded.
  symlinkSync(join(PROJECT_ROOT, 'node_modules', 'webgpu'), join(consumer, 'node_modules', 'webgpu'), 'dir');
  writeFileSync(join(consumer, 'train.mjs'), TRAIN_SCRIPT);
}, 600_000); // a hang guard: npm pack builds the library, slow on a loaded machine

afterAll(() => {
  if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
});

test('the tarball holds the ESM build and its declarations, and nothing else of the repository', () => {
  expect(packedFiles).toContain('dist/lib/webgpu-rnn.js');
  expect(packedFiles).toContain('dist/lib/types/index.d.ts');
  expect(packedFiles).toContain('package.json');
  const stray = packedFiles.filter((path) => !path.startsWith('dist/lib/') && !['package.json', 'README.md', 'LICENSE'].includes(path));
  expect(stray).toEqual([]);

  const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', 'webgpu-rnn', 'package.json'), 'utf8'));
  expect(installed.exports['.']).toEqual({ types: './dist/lib/types/index.d.ts', import: './dist/lib/webgpu-rnn.js' });
});

test('the entry module loads nothing from Node or Dawn statically, and its WGSL is inlined', () => {
  const entry = readFileSync(join(consumer, 'node_modules', 'webgpu-rnn', 'dist', 'lib', 'webgpu-rnn.js'), 'utf8');
  const staticImports = [...entry.matchAll(/^\s*import\s[^;]*?from\s*["']([^"']+)["']/gm)].map((match) => match[1]);
  expect(staticImports.filter((name) => !name.startsWith('./'))).toEqual([]);
  // No runtime fetch or import of a shader file: the WGSL source is in the module.
  expect(entry).not.toMatch(/(import|fetch)\s*\([^)]*\.wgsl/);
  expect(entry).toMatch(/@compute\s*@workgroup_size/);
});

for (const adapter of TEST_ADAPTERS) {
  test(`the installed package trains three steps on ${adapter}`, async () => {
    const { stdout } = await run(process.execPath, ['train.mjs', adapter], {
      cwd: consumer,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    const { adapter: description, losses } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { adapter: string; losses: number[] };
    console.log(`installed package on ${description}: losses ${losses.map((loss) => loss.toFixed(4)).join(', ')}`);
    expect(losses).toHaveLength(3);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    // Three Adam steps at lr 0.01 on one batch: its loss falls.
    expect(losses[2]).toBeLessThan(losses[0]);
  });
}

test('a TypeScript project type-checks against the shipped declarations', async () => {
  writeFileSync(join(consumer, 'use.ts'), CONSUMER_TS);
  writeFileSync(join(consumer, 'wrong.ts'), `import { RnnModel } from 'webgpu-rnn';\nexport const steps: string = (null as unknown as RnnModel).stepCount;\n`);
  const tsconfig = (files: string[]) =>
    JSON.stringify({
      compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files,
    });
  const tsc = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc');
  writeFileSync(join(consumer, 'tsconfig.json'), tsconfig(['use.ts']));
  await run(tsc, ['-p', '.'], { cwd: consumer }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc failed on a consumer of the package:\n${error.stdout}`);
  });
  // The declarations carry real types: a wrong one is caught.
  writeFileSync(join(consumer, 'tsconfig.json'), tsconfig(['wrong.ts']));
  const wrong = await run(tsc, ['-p', '.'], { cwd: consumer }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  expect(wrong).toMatch(/Type 'number' is not assignable to type 'string'/);
});
