/**
 * `npm start -- export --onnx OUT`: a checkpoint written as ONNX, run in ONNX
 * Runtime and compared with the model's predict(); `npm start -- import --tfjs`:
 * a TF.js model's files written as a weights file that predicts as TF.js does.
 * Missing options are refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
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
  execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--ssr', 'bin/train.ts', '--outDir', 'dist/cli-interop-test', '--emptyOutDir', '--logLevel', 'warn'], { cwd: root });
  cli = join(root, 'dist', 'cli-interop-test', 'train.js');
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

describe(`npm start -- import (on ${adapter})`, () => {
  it("writes a TF.js LSTM's model.json and weights as a weights file that predicts as TF.js does", async () => {
    await tf.setBackend('cpu');
    const tfjsModel = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 4 }),
        tfl.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
        tfl.layers.dense({ units: 6, activation: 'softmax' }),
      ],
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await tfjsModel.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const directory = join(work, 'tfjs');
    mkdirSync(directory, { recursive: true });
    const manifest = [{ paths: ['./group1-shard1of1.bin'], weights: saved!.weightSpecs }];
    writeFileSync(join(directory, 'model.json'), JSON.stringify({ modelTopology: saved!.modelTopology, format: 'layers-model', weightsManifest: manifest }));
    writeFileSync(join(directory, 'group1-shard1of1.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(saved!.weightData!)));

    const out = join(work, 'imported.safetensors');
    const { status, output } = run(['import', '--tfjs', join(directory, 'model.json'), '--out', out, '--adapter', adapter]);
    expect(output).toMatch(/wrote .*imported\.safetensors: 1-layer lstm with 5 hidden units; the Dense softmax is left out/);
    expect(status).toBe(0);

    const ids = [0, 5, 2, 3];
    const want = (tfjsModel.predict(tf.tensor2d(ids, [1, 4])) as tf.Tensor).dataSync();
    const model = await RnnModel.fromWeights(await contextFor(adapter), new Uint8Array(readFileSync(out)));
    try {
      const { logits } = await model.predict({ timeSteps: 4, batchSize: 1, inputTokens: ids });
      const softmax = tf.softmax(tf.tensor2d(logits, [4, 6])).dataSync();
      expectClose('softmax of the logits', softmax, want, { relative: 1e-5, absolute: 2e-7 });
    } finally {
      model.dispose();
      tfjsModel.dispose();
    }
  });

  it('refuses a missing weight file, naming it', () => {
    const directory = join(work, 'broken');
    mkdirSync(directory, { recursive: true });
    const modelJson = { modelTopology: { class_name: 'Sequential', config: { layers: [] } }, format: 'layers-model', weightsManifest: [{ paths: ['missing.bin'], weights: [] }] };
    writeFileSync(join(directory, 'model.json'), JSON.stringify(modelJson));
    const { status, output } = run(['import', '--tfjs', join(directory, 'model.json'), '--out', join(work, 'x.safetensors')]);
    expect(status).toBe(1);
    expect(output).toMatch(/cannot read weight file missing\.bin/);
  });
});
