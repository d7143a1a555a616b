/**
 * Bidirectional models across python/webgpu_rnn.py (Debian's python3-torch): a bidirectional
 * GRU made and saved in PyTorch loads in the engine with the same logits, and an engine
 * bidirectional LSTM loads there with strict=True and gives the engine's logits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RnnModel } from '../src/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const PYTHON = '/usr/bin/python3';
const TEST_TIME_LIMIT = 300_000;
const adapter = TEST_ADAPTERS[0];
const directory = mkdtempSync(join(tmpdir(), 'webgpu-rnn-bidirectional-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function python(script: string, args: string[]): string {
  try {
    return execFileSync(PYTHON, ['-c', script, ...args], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 240_000, env: { ...process.env, PYTHONPATH: 'python', OMP_NUM_THREADS: '1' } });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    if (code === 'ENOENT') throw new Error(`${PYTHON} is missing: install Debian's python3 and python3-torch (apt-get install python3-torch)`);
    throw new Error(`${PYTHON} failed:\n${stderr}`);
  }
}

describe(`bidirectional models and the PyTorch companion (engine on ${adapter})`, () => {
  it('a bidirectional GRU made in PyTorch loads in the engine; an engine bidirectional LSTM loads in PyTorch with strict=True; same logits both ways', { timeout: TEST_TIME_LIMIT }, async () => {
    const fromPytorch = join(directory, 'from-pytorch.safetensors');
    const fromEngine = join(directory, 'from-engine.safetensors');
    const context = await contextFor(adapter);
    const engineModel = await RnnModel.create(context, { cell: 'lstm', layers: 2, bidirectional: true, vocabularySize: 5, hiddenSize: 4, seed: 9 });
    try {
      writeFileSync(fromEngine, await engineModel.saveWeights());
      const script = `
import sys, torch, webgpu_rnn
torch.manual_seed(1)
made = webgpu_rnn.WebGpuRnn('gru', input_size=5, hidden_size=3, output_size=4, num_layers=2, bidirectional=True)
webgpu_rnn.save(sys.argv[1], made)
tokens = torch.tensor([[0, 1], [4, 3], [1, 1], [2, 0]])
loaded = webgpu_rnn.load(sys.argv[2])
assert loaded.bidirectional and loaded.head.in_features == 8
with torch.no_grad():
    print(' '.join(repr(v) for v in made(tokens)[0].reshape(-1).tolist()))
    print(' '.join(repr(v) for v in loaded(tokens)[0].reshape(-1).tolist()))
`;
      const [madeLogits, loadedLogits] = python(script, [fromPytorch, fromEngine]).trim().split('\n').map((line) => line.split(' ').map(Number));
      const batch = { timeSteps: 4, batchSize: 2, inputTokens: [0, 1, 4, 3, 1, 1, 2, 0] };
      const made = await RnnModel.fromWeights(context, readFileSync(fromPytorch));
      try {
        expect(made.config).toMatchObject({ cell: 'gru', layers: 2, bidirectional: true, hiddenSize: 3 });
        expectClose('PyTorch-made bidirectional GRU, engine vs PyTorch', (await made.predict(batch)).logits, madeLogits, { relative: 1e-4, absolute: 1e-6 });
      } finally {
        made.dispose();
      }
      expectClose('engine bidirectional LSTM, PyTorch vs engine', loadedLogits, (await engineModel.predict(batch)).logits, { relative: 1e-4, absolute: 1e-6 });
    } finally {
      engineModel.dispose();
    }
  });
});
