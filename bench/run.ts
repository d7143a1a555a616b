/**
 * `npm run bench`: the adapter's ceilings, our matmul against them, the training
 * configs of issue 7 with the split of a step, and TensorFlow.js's WebGPU backend
 * on the same adapter; prints tables and writes a JSON file. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { type AdapterPreference, createGpuContext } from '../src/index.ts';
import { ALL_KERNELS, KernelSet, matmulSchedule } from '../src/kernels/kernel-set.ts';
import { measureCeilings } from './ceilings.ts';
import { CONFIGS, matmulFlops, REFERENCE_PRODUCTS, shapeKey, stepProducts, type StepProduct } from './configs.ts';
import { kernelTimesTable } from './kernel-times.ts';
import { measureMatmul, type MatmulResult } from './matmul.ts';
import { benchPytorch, type PytorchRun } from './pytorch.ts';
import { benchPaired, type PairedRun } from './paired.ts';
import { ceilingsTable, cpuTable, type MatmulRow, matmulTable, memoryTable, pairedTable, profileTable, pytorchTable, tfjsTable, trainingTable } from './report.ts';
import { benchTfjs, type TfjsRun } from './tfjs.ts';
import { benchTraining, type Repetitions, type TrainingResult } from './training.ts';

const USAGE = `Usage: npm run bench -- [options]
  --adapter NAME    auto | hardware | swiftshader | llvmpipe (default auto)
  --configs LIST    comma-separated, from ${CONFIGS.map((config) => config.name).join(',')} (default all)
  --warmup N        untimed training steps first (default 3; --quick 1)
  --steps N         timed training steps, at least (default 10; --quick 2); more while they last under 3 s (--quick 1 s)
  --quick           short runs: 1 warm-up, 2 timed steps, 1 run per profiling variant (all ≥ 1 s), shorter ceilings
  --tfjs, --no-tfjs run TensorFlow.js's WebGPU backend side by side (default on)
  --paired, --no-paired  time ours and TF.js's hand-written loop in alternating rounds too,
                    so that both see the same load (default: as --tfjs)
  --paired-rounds N rounds of that (default 5)
  --tfjs-layers, --no-tfjs-layers  time a TF.js tf.layers model (model.trainOnBatch) too, beside
                    the hand-written tf.matMul loop of --tfjs (default: as --tfjs)
  --tfjs-memory-limit GIB  GPU buffers TF.js may hold for one config before it counts as out
                    of memory (default half of this machine's memory: ${defaultMemoryLimitGib()} GiB)
  --pytorch, --no-pytorch  run PyTorch on the CPU side by side when /usr/bin/python3 has torch (default on)
  --out FILE        JSON results (default bench/results/<adapter>-<date>.json)`;

/** Rounds of ours and TF.js's loop in alternation by default (paired.ts). */
const PAIRED_ROUNDS = 5;

function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`--${name}: got ${JSON.stringify(value)}, expected a positive integer`);
  return number;
}

function positiveNumber(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name}: got ${JSON.stringify(value)}, expected a positive number`);
  return number;
}

/** On a CPU adapter TF.js's GPU buffers are this machine's memory: by default it may take half of it (an earlier lstm-l tf.layers run took ~23 GiB). */
function defaultMemoryLimitGib(): number {
  return Math.max(1, Math.floor(totalmem() / 2 ** 31));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      adapter: { type: 'string', default: 'auto' },
      configs: { type: 'string' },
      warmup: { type: 'string' },
      steps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      tfjs: { type: 'boolean' },
      'no-tfjs': { type: 'boolean' },
      'tfjs-layers': { type: 'boolean' },
      'no-tfjs-layers': { type: 'boolean' },
      'tfjs-memory-limit': { type: 'string' },
      paired: { type: 'boolean' },
      'paired-rounds': { type: 'string' },
      'no-paired': { type: 'boolean' },
      pytorch: { type: 'boolean' },
      'no-pytorch': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick!;
  const configs = values.configs
    ? values.configs.split(',').map((name) => {
        const config = CONFIGS.find((candidate) => candidate.name === name.trim());
        if (!config) throw new Error(`--configs: unknown config ${JSON.stringify(name)}; expected some of ${CONFIGS.map((c) => c.name).join(', ')}`);
        return config;
      })
    : CONFIGS;
  const steps = values.steps ? positiveInteger('steps', values.steps) : quick ? 2 : 10;
  const repetitions: Repetitions = {
    warmup: values.warmup ? positiveInteger('warmup', values.warmup) : quick ? 1 : 3,
    steps,
    variants: quick ? 1 : Math.max(1, Math.ceil(steps / 3)),
    minSeconds: quick ? 1 : 3,
  };
  const runTfjs = values['no-tfjs'] ? false : (values.tfjs ?? true);
  const runTfjsLayers = values['no-tfjs-layers'] ? false : (values['tfjs-layers'] ?? runTfjs);
  const runPaired = values['no-paired'] ? false : (values.paired ?? runTfjs);
  const pairedRounds = values['paired-rounds'] ? positiveInteger('paired-rounds', values['paired-rounds']) : PAIRED_ROUNDS;
  const tfjsMemoryLimitGib = values['tfjs-memory-limit'] ? positiveNumber('tfjs-memory-limit', values['tfjs-memory-limit']) : defaultMemoryLimitGib();
  const runPytorch = values['no-pytorch'] ? false : (values.pytorch ?? true);
  const started = new Date();
  const log = (line: string) => console.error(line);

  // Timestamp queries where the adapter has them: GPU time per kernel (kernel-times.ts).
  const context = await createGpuContext({ adapter: values.adapter as AdapterPreference, timestampQueries: true });
  const device = context.device;
  const adapterKind = context.adapter.kind;
  console.log(`webgpu-rnn bench — ${context.description}`);
  console.log(`node ${process.version}, ${started.toISOString()}, warm-up ${repetitions.warmup}, steps ${repetitions.steps}, variants ${repetitions.variants}${quick ? ' (quick)' : ''}`);
  console.log(
    device.features.has('timestamp-query')
      ? 'timestamp queries: available; GPU time per kernel from profiled steps (a pass per dispatch), beside the split by timing variants\n'
      : 'timestamp queries: not available on this adapter; no GPU time per kernel, the split of a step comes from timing variants only\n',
  );

  log('ceilings …');
  const ceilings = await measureCeilings(device, quick);
  console.log(ceilingsTable(ceilings) + '\n');

  // Our matmul alone: the reference shapes and every product of the chosen configs.
  const kernels = await KernelSet.load(device);
  await kernels.ensure(ALL_KERNELS.filter((key) => kernels.llvmpipe || !key.endsWith(' textures'))); // texture-operand cores only where chosen
  const matmulTarget = quick ? 0.5 : 1.5;
  const isolated = new Map<string, MatmulResult>();
  const matmulRows: MatmulRow[] = [];
  // GFLOP/s count `flops` (a head product's needed FLOPs, with V) per run of `shape` (as the engine runs it).
  const measure = async (role: string, shape: StepProduct['shape'], flops = matmulFlops(shape)) => {
    const key = shapeKey(shape);
    if (!isolated.has(key)) {
      log(`matmul ${key} …`);
      isolated.set(key, await measureMatmul(kernels, shape, matmulTarget));
      context.throwIfFaulted();
    }
    const timed = isolated.get(key)!;
    const needed = flops / matmulFlops(shape);
    const result = { ...timed, gflops: needed * timed.gflops, gflopsPerCpuSecond: needed * timed.gflopsPerCpuSecond };
    const schedule = matmulSchedule(shape.m, shape.n, shape.k, shape.transposeA, shape.transposeB, kernels.cpuAdapter, kernels.llvmpipe, shape.sharedB);
    matmulRows.push({
      role,
      shape: key,
      gflops: result.gflops,
      fractionOfAlu: result.gflops / ceilings.aluGflops,
      gflopsPerCpuSecond: result.gflopsPerCpuSecond,
      fractionOfAluPerCpuSecond: result.gflopsPerCpuSecond / ceilings.aluGflopsPerCpuSecond,
      core: `${schedule.variant}${schedule.panels ? ' panels' : schedule.textures ? ' textures' : schedule.vec4 ? ' vec4' : ''}`,
      dispatches: schedule.dispatches,
      workgroups: schedule.workgroups,
    });
  };
  for (const { role, shape } of REFERENCE_PRODUCTS) await measure(role, shape);
  for (const config of configs) for (const product of stepProducts(config)) await measure(`${config.name} ${product.role} ×${product.count}`, product.shape, product.flops);
  console.log(matmulTable(matmulRows) + '\n');

  const training: TrainingResult[] = [];
  for (const config of configs) {
    log(`training ${config.name} …`);
    const products = stepProducts(config);
    training.push(await benchTraining(context, config, repetitions, (product) => isolated.get(shapeKey(product.shape))!.seconds, products));
  }

  let tfjs: TfjsRun | undefined;
  let tfjsLayers: TfjsRun | undefined;
  const tfjsAdapter = adapterKind === 'browser' ? 'auto' : (adapterKind as AdapterPreference);
  const tfjsMemoryLimit = tfjsMemoryLimitGib * 2 ** 30;
  if (runTfjs) {
    log('TF.js …');
    tfjs = await benchTfjs(tfjsAdapter, configs, repetitions, log, 'loop', tfjsMemoryLimit);
    console.log(tfjsTable(tfjs) + '\n');
  }
  if (runTfjsLayers) {
    log('TF.js tf.layers …');
    tfjsLayers = await benchTfjs(tfjsAdapter, configs, repetitions, log, 'layers', tfjsMemoryLimit);
    console.log(tfjsTable(tfjsLayers) + '\n');
  }
  let paired: PairedRun | undefined;
  if (runPaired) {
    log('ours and TF.js in alternating rounds …');
    paired = await benchPaired(context, tfjsAdapter, configs, pairedRounds, quick ? 1 : 3, log);
    console.log(pairedTable(paired) + '\n');
  }
  let pytorch: PytorchRun | undefined;
  if (runPytorch) {
    pytorch = benchPytorch(configs, repetitions, log);
    console.log(pytorchTable(pytorch) + '\n');
  }
  console.log(trainingTable(training, tfjs, pytorch, tfjsLayers) + '\n');
  console.log(cpuTable(training, tfjs, pytorch, tfjsLayers) + '\n');
  console.log(memoryTable(training, tfjs, tfjsLayers) + '\n');
  console.log(profileTable(training));
  console.log(
    '\nvs matmul: the step\'s matmul GFLOP/s ÷ our matmul\'s GFLOP/s on the same products alone; ' +
      'fixed = 2·(T/2 step) − (T step); rec./batched matmuls: the step\'s products timed alone; other = step − both.',
  );
  const profiled = training.filter((result) => result.kernelTimes);
  console.log(
    profiled.length > 0
      ? profiled.map((result) => '\n' + kernelTimesTable(result.config.name, result.kernelTimes!, result.stepSeconds)).join('\n')
      : '\nGPU time per kernel: not measured, this adapter has no timestamp-query (the split above comes from timing variants).',
  );

  const out = values.out ?? `bench/results/${adapterKind}-${started.toISOString().replace(/:/g, '-').replace(/\..*/, '')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  const json = {
    date: started.toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    options: { adapter: values.adapter, configs: configs.map((config) => config.name), quick, tfjs: runTfjs, tfjsLayers: runTfjsLayers, paired: runPaired, pairedRounds, tfjsMemoryLimitGib, pytorch: runPytorch, ...repetitions },
    adapter: { ...context.adapter, description: context.description, timestampQuery: device.features.has('timestamp-query') },
    ceilings,
    matmul: matmulRows,
    matmulShapes: Object.fromEntries([...isolated].map(([key, result]) => [key, result])),
    training: training.map((result) => ({ ...result, name: result.config.name })),
    tfjs,
    tfjsLayers,
    paired,
    pytorch,
    referenceFlops: Object.fromEntries(REFERENCE_PRODUCTS.map(({ role, shape }) => [role, matmulFlops(shape)])),
  };
  writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
  console.log(`\nwrote ${out} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`);
  context.destroy();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
