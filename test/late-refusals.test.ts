/**
 * Refusals come before the first step: trainEpoch over an array checks every batch
 * first and sums the losses of an epoch of any length; the CLI checks --length,
 * --temperature, --prime and the corpus (not a directory, not binary) before it
 * trains or writes a checkpoint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RnnModel, type SequenceBatch } from '../src/index.ts';
import { LOSS_HISTORY_LENGTH } from '../src/model/model-buffers.ts';
import { textFromBytes } from '../src/text/corpus-text.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const adapter = TEST_ADAPTERS[TEST_ADAPTERS.length - 1];
const root = new URL('..', import.meta.url).pathname;

describe(`trainEpoch refuses early and handles long epochs (on ${adapter})`, () => {
  it('an array with a bad batch anywhere trains nothing, and the error names its index', async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2 });
    try {
      const good: SequenceBatch = { timeSteps: 1, batchSize: 1, inputTokens: [0], targets: [1] };
      const before = await model.readParameters();
      const error = await model.trainEpoch([good, good, { ...good, inputTokens: [7] }]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('batches[2].inputTokens');
      expect((error as Error).message).toContain('element 0 is 7');
      expect((error as Error).message).toContain('(nothing was trained)');
      expect(model.stepCount).toBe(0);
      expect(await model.readParameters()).toEqual(before);
      // A generator is checked batch by batch: the error names the batch and the steps already taken.
      const drawn = (function* () {
        yield good;
        yield good;
        yield { ...good, targets: [5] };
      })();
      const late = await model.trainEpoch(drawn).then(() => undefined, (e: unknown) => e);
      expect((late as InvalidArgumentError).argument).toBe('batches[2].targets');
      expect((late as Error).message).toContain("the epoch's first 2 step(s) were taken");
      expect(model.stepCount).toBe(2);
    } finally {
      model.dispose();
    }
  });

  it(`an epoch of more than ${LOSS_HISTORY_LENGTH} steps with progress every step gives the mean of its losses`, async () => {
    const context = await contextFor(adapter);
    const model = await RnnModel.create(context, { vocabularySize: 3, hiddenSize: 2, optimizer: { type: 'sgd', learningRate: 0.05 } });
    try {
      const steps = LOSS_HISTORY_LENGTH + 300;
      const batches = Array.from({ length: steps }, (_, i): SequenceBatch => ({ timeSteps: 1, batchSize: 1, inputTokens: [i % 3], targets: [(i + 1) % 3] }));
      const reported: number[] = [];
      const withProgress = await model.trainEpoch(batches, { progressEvery: 1, onProgress: ({ loss }) => reported.push(loss) });
      expect(withProgress.steps).toBe(steps);
      expect(reported).toHaveLength(steps);
      const mean = reported.reduce((sum, loss) => sum + loss, 0) / steps;
      expect(Math.abs(withProgress.meanLoss - mean) / mean).toBeLessThan(1e-12);
      // Without progress reads, too (losses read every half ring).
      const quiet = await model.trainEpoch(batches);
      expect(quiet.steps).toBe(steps);
      expect(Number.isFinite(quiet.meanLoss)).toBe(true);
      expect(quiet.meanLoss).toBeLessThan(withProgress.meanLoss);
    } finally {
      model.dispose();
    }
  }, 240_000);
});

describe('binary text is refused', () => {
  it('textFromBytes refuses invalid UTF-8, NUL characters and control-heavy data, and keeps text', () => {
    expect(() => textFromBytes('--corpus', Uint8Array.of(0x61, 0x62, 0xff, 0x63))).toThrow('first invalid byte is at offset 2');
    expect(() => textFromBytes('--corpus', new TextEncoder().encode('ab\u0000cd'))).toThrow('NUL character at character 2');
    expect(() => textFromBytes('--corpus', new TextEncoder().encode(`${'\u0001'.repeat(5)}${'a'.repeat(100)}`))).toThrow('5 control characters');
    expect(() => textFromBytes('--corpus', new Uint8Array(0))).toThrow('is empty');
    expect(textFromBytes('--corpus', new TextEncoder().encode('tab\there\r\nnew line é ✓'))).toBe('tab\there\r\nnew line é ✓');
  });
});

describe(`the CLI refuses before training (on ${adapter})`, () => {
  let work: string;
  let cli: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'webgpu-rnn-early-'));
    execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--ssr', 'bin/train.ts', '--outDir', 'dist/cli-early-test', '--emptyOutDir', '--logLevel', 'warn'], { cwd: root });
    cli = join(root, 'dist', 'cli-early-test', 'train.js');
    writeFileSync(join(work, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(40));
    writeFileSync(join(work, 'binary.bin'), Uint8Array.from({ length: 4000 }, (_, i) => (i * 37) % 256));
    mkdirSync(join(work, 'folder'));
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const checkpoint = join(work, 'model.safetensors');
    const result = spawnSync(
      process.execPath,
      [cli, '--corpus', join(work, 'corpus.txt'), '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '5', '--checkpoint', checkpoint, '--adapter', adapter, ...args],
      { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, timeout: 120_000 },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}`, checkpointWritten: existsSync(checkpoint) };
  };

  it.each([
    [['--length', '0'], '--length: got "0", expected an integer from 1 to 100000'],
    [['--length', '1e9'], '--length: got "1e9"'],
    [['--prime', 'the ☃'], '--prime: character "☃" is not in the model\'s vocabulary'],
    [['--temperature', '1e-40'], '--temperature: got "1e-40"'],
    [['--corpus', 'BINARY'], 'is not UTF-8 text (a binary file?)'],
    [['--corpus', 'FOLDER'], 'is a directory, expected a text file'],
  ])('%j', (args, fragment) => {
    const resolved = args.map((arg) => (arg === 'BINARY' ? join(work, 'binary.bin') : arg === 'FOLDER' ? join(work, 'folder') : arg));
    const { status, output, checkpointWritten } = run(...resolved);
    expect(status, output).toBe(1);
    expect(output).toContain(fragment);
    expect(output).not.toMatch(/step \d+\/5/);
    expect(checkpointWritten).toBe(false);
  });
});
