/**
 * `npm start -- export --onnx OUT`: a checkpoint written as ONNX, run in ONNX
 * Runtime and compared with the model's predict(); missing options are refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharacterVocabulary, RnnModel } from '../src/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const root = new URL('..', import.meta.url).pathname;
const adapter = TEST_ADAPTERS[TEST_ADAPTERS.length - 1];
let work: string;
let cli: string;

function run(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webgpu-rnn-export-'));
  execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--ssr', 'bin/train.ts', '--outDir', 'dist/cli-export-test', '--emptyOutDir', '--logLevel', 'warn'], { cwd: root });
  cli = join(root, 'dist', 'cli-export-test', 'train.js');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`npm start -- export (on ${adapter})`, () => {
  it('writes a 2-layer LSTM checkpoint as ONNX that ONNX Runtime runs to the same logits', async () => {
    const context = await contextFor(adapter);
    const vocabulary = CharacterVocabulary.fromText('hello world');
    const model = await RnnModel.create(context, { cell: 'lstm', layers: 2, vocabularySize: vocabulary.size, hiddenSize: 8, seed: 3 });
    try {
      const checkpoint = join(work, 'model.safetensors');
      writeFileSync(checkpoint, await model.saveCheckpoint(vocabulary.toMetadata()));
      const out = join(work, 'model.onnx');
      const { status, output } = run(['export', '--checkpoint', checkpoint, '--onnx', out, '--zero-states', '--adapter', adapter]);
      expect(output).toMatch(/wrote .*model\.onnx \(\d+ bytes\): 2-layer lstm with 8 hidden units/);
      expect(status).toBe(0);

      const tokens = Array.from(vocabulary.encode('hello wor'));
      const want = await model.predict({ timeSteps: tokens.length, batchSize: 1, inputTokens: tokens });
      const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(out)));
      const got = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [tokens.length, 1]) });
      expectClose('logits', got.logits.data as Float32Array, want.logits, { relative: 1e-5, absolute: 2e-6 });
      await session.release();
    } finally {
      model.dispose();
    }
  });

  it('refuses a missing --onnx with a message naming it', () => {
    const { status, output } = run(['export', '--checkpoint', join(work, 'model.safetensors')]);
    expect(status).toBe(1);
    expect(output).toMatch(/--onnx OUT is required/);
  });
});
