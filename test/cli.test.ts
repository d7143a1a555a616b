/**
 * The command line (`npm start`): trains with a progress line and validation loss,
 * writes a checkpoint atomically, resumes from it, samples from it, and refuses
 * bad options with a message naming the option.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADAPTERS } from './gpu-adapters.ts';

const root = new URL('..', import.meta.url).pathname;
const adapter = TEST_ADAPTERS[TEST_ADAPTERS.length - 1];
let work: string;
let cli: string;

function run(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, timeout: 540_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webgpu-rnn-cli-'));
  // Built inside the repository (dist/ is ignored) so that it finds node_modules, as npm start's build does.
  execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--ssr', 'bin/train.ts', '--outDir', 'dist/cli-test', '--emptyOutDir', '--logLevel', 'warn'], { cwd: root });
  cli = join(root, 'dist', 'cli-test', 'train.js');
  writeFileSync(join(work, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(60));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`npm start (on ${adapter})`, () => {
  const common = ['--corpus', '', '--cell', 'gru', '--hidden', '16', '--seq', '8', '--batch', '4', '--eval-every', '10', '--sample-every', '20', '--checkpoint-every', '10', '--adapter', adapter, '--length', '25'];
  const options = (steps: number, ...more: string[]) => {
    const args = [...common, '--steps', String(steps), '--checkpoint', join(work, 'runs', 'model.safetensors'), ...more];
    args[1] = join(work, 'corpus.txt');
    return args;
  };

  it('trains, reports training and validation loss, samples and writes a checkpoint', () => {
    const { status, output } = run(options(30));
    expect(status, output).toBe(0);
    expect(output).toMatch(/step 30\/30 +loss \d\.\d{4} +val \d\.\d{4} nats\/char/);
    expect(output).toMatch(/--- sample at step 20 ---/);
    expect(output).toMatch(/checkpoint written: .*model\.safetensors \(step 30\)/);
    // Atomic writes leave no partial file behind.
    expect(readdirSync(join(work, 'runs'))).toEqual(['model.safetensors']);
  });

  it('resumes from the checkpoint and continues to the new step count', () => {
    const { status, output } = run(options(40, '--resume'));
    expect(status, output).toBe(0);
    expect(output).toMatch(/resumed at step 30/);
    expect(output).toMatch(/over steps 31–40/);
  });

  it('samples from the checkpoint with a prime', () => {
    const { status, output } = run(['sample', '--checkpoint', join(work, 'runs', 'model.safetensors'), '--prime', 'the ', '--length', '30', '--adapter', adapter]);
    expect(status, output).toBe(0);
    const line = output.split('\n').find((text) => text.startsWith('the '))!;
    expect(line.length).toBeGreaterThanOrEqual(4 + 25);
  });

  it('refuses bad options, naming them', () => {
    const bad = run(['--cell', 'transformer', '--steps', '1']);
    expect(bad.status).toBe(1);
    expect(bad.output).toMatch(/--cell: got "transformer", expected one of rnn, lstm, gru/);
    const missing = run(['--corpus', join(work, 'missing.txt')]);
    expect(missing.status).toBe(1);
    expect(missing.output).toMatch(/--corpus: no file at/);
  });
});
