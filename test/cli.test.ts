/**
 * The command line (`npm start`): trains with a progress line and validation loss,
 * writes a checkpoint atomically, resumes from it, samples from it, ends with a
 * loss chart in the terminal and an SVG beside the checkpoint, keeps Dawn's own
 * stderr warnings out unless --verbose, and refuses bad options with a message
 * naming the option.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDawnNoise, StderrFilter } from '../bin/quiet-stderr.ts';
import { TEST_ADAPTERS } from './gpu-adapters.ts';

const root = new URL('..', import.meta.url).pathname;
const adapter = TEST_ADAPTERS[TEST_ADAPTERS.length - 1];
let work: string;
let cli: string;

function run(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, timeout: 540_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout, stderr: result.stderr };
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
  const common = ['--corpus', '', '--cell', 'gru', '--hidden', '16', '--seq', '8', '--batch', '4', '--schedule', 'constant', '--eval-every', '10', '--sample-every', '20', '--checkpoint-every', '10', '--adapter', adapter, '--length', '25'];
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
    expect(output).toMatch(/state carried across the chunks of each stream/);
    // The loss chart: braille dots, a validation mark, the step range.
    expect(output).toMatch(/\d\.\d\d ┤[\u2800-\u28ff●]{60}/);
    expect(output).toContain('●');
    expect(output).toMatch(/step 1 +30\n/);
    expect(output).toMatch(/loss curve: .*model-loss\.svg/);
    const svg = readFileSync(join(work, 'runs', 'model-loss.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline class="training"[^>]* points="([^"]+)"/)![1].split(' ')).toHaveLength(4); // steps 1, 10, 20, 30
    expect(svg.match(/<circle class="validation"/g)).toHaveLength(3); // steps 10, 20, 30
    // Atomic writes leave no partial file behind.
    expect(readdirSync(join(work, 'runs')).sort()).toEqual(['model-loss.svg', 'model.safetensors']);
  });

  it('trains with --no-carry, every chunk from a zero state', () => {
    const { status, output } = run(options(10, '--no-carry', '--checkpoint', join(work, 'no-carry', 'model.safetensors')));
    expect(status, output).toBe(0);
    expect(output).toMatch(/every chunk from a zero state \(--no-carry\)/);
    expect(output).toMatch(/step 10\/10 +loss \d\.\d{4} +val \d\.\d{4}/);
  });

  it('resumes from the checkpoint and continues to the new step count', () => {
    const { status, output } = run(options(40, '--resume'));
    expect(status, output).toBe(0);
    expect(output).toMatch(/resumed at step 30/);
    expect(output).toMatch(/over steps 31–40/);
  });

  it('refuses to resume a cosine schedule past its end, where the learning rate is 0', () => {
    const path = join(work, 'cosine', 'model.safetensors');
    const args = (steps: number, ...more: string[]) => [...options(steps, '--checkpoint', path, '--schedule', 'cosine', '--sample-every', '0'), ...more];
    expect(run(args(5)).status).toBe(0);
    const { status, output } = run(args(8, '--resume'));
    expect(status).toBe(1);
    expect(output).toMatch(/--steps 8: the checkpoint's cosine schedule ends at step 5 .*resume up to --steps 5/);
  });

  it('samples from the checkpoint with a prime', () => {
    const { status, output } = run(['sample', '--checkpoint', join(work, 'runs', 'model.safetensors'), '--prime', 'the ', '--length', '30', '--adapter', adapter]);
    expect(status, output).toBe(0);
    const line = output.split('\n').find((text) => text.startsWith('the '))!;
    expect(line.length).toBeGreaterThanOrEqual(4 + 25);
  });

  it("keeps Dawn's own stderr warnings out of the output, and shows them with --verbose", () => {
    // llvmpipe always warns that Dawn reduced two limits; the CLI's own errors still come through.
    const args = ['--corpus', join(work, 'corpus.txt'), '--adapter', 'llvmpipe', '--cell', 'rnn', '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '2', '--sample-every', '0', '--length', '5'];
    const quiet = run([...args, '--checkpoint', join(work, 'quiet', 'model.safetensors')]);
    expect(quiet.status, quiet.output).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/step 2\/2/);
    const verbose = run([...args, '--verbose', '--checkpoint', join(work, 'verbose', 'model.safetensors')]);
    expect(verbose.status, verbose.output).toBe(0);
    expect(verbose.stderr).toMatch(/artificially reduced/);
    expect(verbose.stdout).toMatch(/step 2\/2/);
    const failing = run([...args, '--steps', 'many']);
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/^error: --steps: got "many"/);
  });

  it('stops on Ctrl-C (SIGINT to its process group, as a terminal sends it) with a checkpoint to resume from', async () => {
    const args = [...options(100_000, '--checkpoint', join(work, 'interrupted', 'model.safetensors')), '--sample-every', '0'];
    const child = spawn(process.execPath, [cli, ...args], { detached: true, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (!output.includes('step ') && `${output}${text}`.includes('step ')) process.kill(-child.pid!, 'SIGINT');
      output += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => void (output += text));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    expect(output).toMatch(/stopping: finishing this step and writing a checkpoint/);
    expect(output).toMatch(/checkpoint written: .*interrupted.*model\.safetensors \(step \d+\); resume with --resume/);
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

describe('the stderr filter', () => {
  it("drops Dawn's lines, also when split across chunks, and passes everything else", () => {
    const kept: string[] = [];
    const filter = new StderrFilter((text) => kept.push(text));
    const dawn = [
      'Warning: vkCreateInstance: Found no drivers!',
      'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER',
      '    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:106)',
      "Warning: Couldn't load Vulkan",
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.',
    ];
    const ours = ['error: --corpus: no file at x.txt', '(node:123) Warning: a Node warning', '    at main (file:///work/bin/train.js:10:5)'];
    const text = [dawn[0], ours[0], dawn[1], dawn[2], ours[1], dawn[3], ours[2], dawn[4], 'no newline at the end'].join('\n');
    for (let i = 0; i < text.length; i += 7) filter.push(text.slice(i, i + 7));
    filter.end();
    expect(kept.join('')).toBe(`${ours.join('\n')}\nno newline at the end`);
    expect(filter.dropped).toBe(dawn.length);
    for (const line of dawn) expect(isDawnNoise(line), line).toBe(true);
    for (const line of ours) expect(isDawnNoise(line), line).toBe(false);
  });
});
