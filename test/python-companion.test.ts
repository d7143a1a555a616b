/**
 * python/webgpu_rnn.py with Debian's python3-torch: engine files load into the
 * PyTorch modules with strict=True and give the engine's logits; a checkpoint
 * continued in PyTorch (one process, and DistributedDataParallel over two gloo
 * processes) lands where the engine would have, to float32 rounding, and the
 * engine resumes it. Needs /usr/bin/python3 with torch: a missing one fails,
 * saying what to install.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, RnnModel, type RnnModelConfig } from '../src/index.ts';
import { compareArrays, expectClose } from './check-close.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { seededRandom } from './random.ts';

const PYTHON = '/usr/bin/python3';
/** Fixed work (a few steps of a small model); the limits only guard against a hang, generous for a loaded machine. */
const PYTHON_TIME_LIMIT = 240_000;
const TEST_TIME_LIMIT = 300_000;
const adapter = TEST_ADAPTERS[0];
const directory = mkdtempSync(join(tmpdir(), 'webgpu-rnn-python-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const CONFIG: RnnModelConfig = {
  cell: 'lstm',
  layers: 2,
  vocabularySize: 7,
  embeddingSize: 4,
  hiddenSize: 8,
  seed: 5,
  optimizer: { type: 'adam', learningRate: 0.02 },
  schedule: { type: 'cosine', warmupSteps: 2, totalSteps: 20 },
  clipGradientNorm: 1,
};
/** PyTorch's founding SimpleRNN form (single bias, i2h/h2o names) with SGD and momentum. */
const SIMPLE_RNN: RnnModelConfig = { cell: 'rnn', singleBias: true, vocabularySize: 7, hiddenSize: 6, seed: 2, optimizer: { type: 'sgd', learningRate: 0.3, momentum: 0.9 } };
const T = 6;
const B = 4;
const N = 3; // engine steps before PyTorch takes over
const M = 4; // PyTorch steps
const K = 2; // engine steps after it

function batch(step: number) {
  const random = seededRandom(500 + step);
  const ids = () => Uint32Array.from({ length: T * B }, () => Math.floor(random() * 7));
  return { timeSteps: T, batchSize: B, inputTokens: ids(), targets: ids() };
}

/** Batches of steps [from, from + count) as continue_training.py reads them: I32 [count, T, B]. */
function batchesFile(from: number, count: number): string {
  const stacked = (key: 'inputTokens' | 'targets') => Int32Array.from(Array.from({ length: count }, (_, m) => Array.from(batch(from + m)[key])).flat());
  const path = join(directory, `batches-${from}-${count}.safetensors`);
  writeFileSync(
    path,
    encodeSafetensors({
      tensors: { input_tokens: { dtype: 'I32', shape: [count, T, B], data: stacked('inputTokens') }, targets: { dtype: 'I32', shape: [count, T, B], data: stacked('targets') } },
      metadata: {},
    }),
  );
  return path;
}

function python(args: string[]): string {
  try {
    return execFileSync(PYTHON, args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: PYTHON_TIME_LIMIT, env: { ...process.env, PYTHONPATH: 'python', OMP_NUM_THREADS: '1' } });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    if (code === 'ENOENT') throw new Error(`${PYTHON} is missing: install Debian's python3 and python3-torch (apt-get install python3-torch)`);
    if (stderr?.includes("No module named 'torch'")) throw new Error("PyTorch is missing: install Debian's python3-torch (apt-get install python3-torch)");
    throw new Error(`${PYTHON} ${args.join(' ')} failed:\n${stderr}`);
  }
}

const lossesIn = (output: string) => [...output.matchAll(/step (\d+) loss (\S+)/g)].map((match) => Number(match[2]));

async function straightRun(config: RnnModelConfig, steps: number) {
  const model = await RnnModel.create(await contextFor(adapter), config);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push(await model.trainStep(batch(step)).loss());
  return { model, losses };
}

/** Trains K more engine steps on a resumed checkpoint and compares with the straight run, returning the worst parameter error. */
async function compareResumed(what: string, config: RnnModelConfig, path: string, straight: { model: RnnModel; losses: number[] }, pytorchLosses: number[]): Promise<Record<string, number>> {
  expect(pytorchLosses).toHaveLength(M);
  const tolerance = { relative: 1e-4, absolute: 1e-5 };
  expectClose(`${what}: PyTorch's losses of steps ${N + 1}..${N + M}`, pytorchLosses, straight.losses.slice(N, N + M), tolerance);
  const resumed = await RnnModel.fromCheckpoint(await contextFor(adapter), readFileSync(path));
  try {
    expect(resumed.stepCount).toBe(N + M);
    expect(resumed.fullConfig).toEqual(straight.model.fullConfig);
    // Compare with the straight run's parameters after N + M steps: train both K more and compare losses too.
    const atHandOver = await resumed.readParameters();
    const reference = await RnnModel.create(await contextFor(adapter), config);
    let worstAtHandOver = 0;
    try {
      for (let step = 0; step < N + M; step++) reference.trainStep(batch(step));
      const want = await reference.readParameters();
      for (const name of Object.keys(want)) {
        expectClose(`${what}: ${name} after ${N} engine + ${M} PyTorch steps`, atHandOver[name], want[name], tolerance);
        worstAtHandOver = Math.max(worstAtHandOver, compareArrays(atHandOver[name], want[name], tolerance).maxAbsolute);
      }
    } finally {
      reference.dispose();
    }
    const losses: number[] = [];
    for (let step = N + M; step < N + M + K; step++) losses.push(await resumed.trainStep(batch(step)).loss());
    expectClose(`${what}: engine losses after resuming`, losses, straight.losses.slice(N + M), tolerance);
    const after = await resumed.readParameters();
    const want = await straight.model.readParameters();
    let worstAfter = 0;
    for (const name of Object.keys(want)) {
      expectClose(`${what}: ${name} after ${K} more engine steps`, after[name], want[name], tolerance);
      worstAfter = Math.max(worstAfter, compareArrays(after[name], want[name], tolerance).maxAbsolute);
    }
    const worstLoss = compareArrays(pytorchLosses, straight.losses.slice(N, N + M), tolerance).maxAbsolute;
    return { worstLoss, worstAtHandOver, worstAfter };
  } finally {
    resumed.dispose();
  }
}

describe(`the PyTorch companion (engine on ${adapter})`, () => {
  it('engine files load with strict=True into WebGpuRnn (two biases or one) and SimpleRNN and give the engine logits', { timeout: TEST_TIME_LIMIT }, async () => {
    const context = await contextFor(adapter);
    const lstm = await RnnModel.create(context, CONFIG);
    const simple = await RnnModel.create(context, { cell: 'rnn', singleBias: true, vocabularySize: 5, hiddenSize: 4, seed: 3 });
    const keras = await RnnModel.create(context, { ...CONFIG, singleBias: true, seed: 9 });
    try {
      const script = `
import sys, torch, webgpu_rnn
torch.set_printoptions(precision=10)
for path, kind, label in ((sys.argv[1], 'WebGpuRnn', 'WebGpuRnn'), (sys.argv[2], 'SimpleRNN', 'SimpleRNN'), (sys.argv[3], 'WebGpuRnn', 'SingleBias')):
    model = webgpu_rnn.load(path)
    assert type(model).__name__ == kind, type(model).__name__
    assert (type(getattr(model, 'rnn', None)).__name__ == 'SingleBiasRecurrent') == (label == 'SingleBias')
    tokens = torch.tensor([[0, 1, 2, 3], [4, 3, 2, 1], [1, 1, 0, 4], [2, 0, 4, 3], [3, 2, 1, 0], [0, 4, 4, 1]])
    with torch.no_grad():
        logits, _ = model(tokens)
    print(label, ' '.join(repr(v) for v in logits.reshape(-1).tolist()))
`;
      const tokens = Uint32Array.from([0, 1, 2, 3, 4, 3, 2, 1, 1, 1, 0, 4, 2, 0, 4, 3, 3, 2, 1, 0, 0, 4, 4, 1]);
      const paths = [join(directory, 'lstm.safetensors'), join(directory, 'simple.safetensors'), join(directory, 'single-bias.safetensors')];
      writeFileSync(paths[0], await lstm.saveWeights({ vocabulary: 'kept' }));
      writeFileSync(paths[1], await simple.saveWeights());
      writeFileSync(paths[2], await keras.saveWeights());
      const output = python(['-c', script, ...paths]);
      for (const [kind, model] of [['WebGpuRnn', lstm], ['SimpleRNN', simple], ['SingleBias', keras]] as const) {
        const line = output.split('\n').find((l) => l.startsWith(`${kind} `));
        expect(line, output).toBeDefined();
        const pytorchLogits = line!.split(' ').slice(1).map(Number);
        const { logits } = await model.predict({ timeSteps: T, batchSize: 4, inputTokens: tokens });
        expectClose(`${kind} logits, PyTorch vs engine`, pytorchLogits, logits, { relative: 1e-4, absolute: 1e-6 });
        console.log(`${kind}: logits max abs error vs PyTorch ${compareArrays(pytorchLogits, logits, { relative: 1e-4, absolute: 1e-6 }).maxAbsolute.toExponential(2)}`);
      }
    } finally {
      lstm.dispose();
      simple.dispose();
      keras.dispose();
    }
  });

  it('a model made and saved in PyTorch (a dense GRU) loads in the engine and gives the same logits', { timeout: TEST_TIME_LIMIT }, async () => {
    const path = join(directory, 'from-pytorch.safetensors');
    const script = `
import sys, torch, webgpu_rnn
torch.manual_seed(1)
model = webgpu_rnn.WebGpuRnn('gru', input_size=3, hidden_size=5, output_size=4, num_layers=2, input_kind='dense')
webgpu_rnn.save(sys.argv[1], model, metadata={'note': 'from PyTorch'})
inputs = torch.sin(torch.arange(24, dtype=torch.float32)).reshape(4, 2, 3)
with torch.no_grad():
    logits, _ = model(inputs)
print(' '.join(repr(v) for v in logits.reshape(-1).tolist()))
`;
    const pytorchLogits = python(['-c', script, path]).trim().split(' ').map(Number);
    const model = await RnnModel.fromWeights(await contextFor(adapter), readFileSync(path));
    try {
      expect(model.config).toMatchObject({ cell: 'gru', layers: 2, inputKind: 'dense', inputSize: 3, hiddenSize: 5, outputSize: 4, singleBias: false });
      const { logits } = await model.predict({ timeSteps: 4, batchSize: 2, inputs: Float32Array.from({ length: 24 }, (_, i) => Math.fround(Math.sin(i))) });
      expectClose('logits of the PyTorch-made GRU', logits, pytorchLogits, { relative: 1e-4, absolute: 1e-6 });
    } finally {
      model.dispose();
    }
  });

  for (const [name, config, moments] of [['a 2-layer LSTM with an embedding', CONFIG, 'Adam moments'], ['the SimpleRNN form', SIMPLE_RNN, 'SGD momentum'], ['a single-bias 2-layer LSTM', { ...CONFIG, singleBias: true }, 'Adam moments']] as const) {
    it(`${name}: ${N} engine steps, ${M} in PyTorch (${moments} and step restored), ${K} in the engine again equal ${N + M + K} engine steps`, { timeout: TEST_TIME_LIMIT }, async () => {
      const straight = await straightRun(config, N + M + K);
      const start = await RnnModel.create(await contextFor(adapter), config);
      try {
        for (let step = 0; step < N; step++) start.trainStep(batch(step));
        const checkpoint = join(directory, 'engine.safetensors');
        writeFileSync(checkpoint, await start.saveCheckpoint({ vocabulary: 'abcdefg' }));
        const out = join(directory, 'pytorch.safetensors');
        const output = python(['python/continue_training.py', checkpoint, batchesFile(N, M), out]);
        const errors = await compareResumed(name, config, out, straight, lossesIn(output));
        console.log(`${name}, PyTorch continuation, max abs errors: losses ${errors.worstLoss.toExponential(2)}, parameters at hand-over ${errors.worstAtHandOver.toExponential(2)}, after ${K} more engine steps ${errors.worstAfter.toExponential(2)}`);
      } finally {
        straight.model.dispose();
        start.dispose();
      }
    });
  }

  it('DistributedDataParallel over two gloo processes continues the checkpoint, and the engine resumes its file', { timeout: TEST_TIME_LIMIT }, async () => {
    const straight = await straightRun(CONFIG, N + M + K);
    const start = await RnnModel.create(await contextFor(adapter), CONFIG);
    try {
      for (let step = 0; step < N; step++) start.trainStep(batch(step));
      const checkpoint = join(directory, 'engine-ddp.safetensors');
      writeFileSync(checkpoint, await start.saveCheckpoint());
      const out = join(directory, 'ddp.safetensors');
      const output = python(['python/continue_ddp.py', checkpoint, batchesFile(N, M), out, '2']);
      expect(output).toContain('2 processes, 2 sequences each');
      const errors = await compareResumed('DDP', CONFIG, out, straight, lossesIn(output));
      console.log(`DDP continuation, max abs errors: losses ${errors.worstLoss.toExponential(2)}, parameters at hand-over ${errors.worstAtHandOver.toExponential(2)}, after ${K} more engine steps ${errors.worstAfter.toExponential(2)}`);
    } finally {
      straight.model.dispose();
      start.dispose();
    }
  });
});
