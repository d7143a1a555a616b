/**
 * `npm start`: trains a character-level model on the bundled corpus (or
 * --corpus FILE) on WebGPU in Node: a progress line with training and
 * validation loss in nats/char, throughput and ETA; a sample at intervals;
 * checkpoints written atomically at intervals, at the end and on Ctrl-C;
 * --resume continues from one. `npm start -- sample` generates from a checkpoint.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ADAPTER_ENV_VARIABLE,
  type AdapterPreference,
  CharacterVocabulary,
  createGpuContext,
  decodeSafetensors,
  type OptimizerConfig,
  RnnModel,
  lossChartSvg,
  lossChartText,
  sampleText,
  splitText,
  TextBatches,
  train,
  type TrainResult,
} from '../src/index.ts';
import { readCheckpoint, writeFileAtomically } from './checkpoint-file.ts';
import { exportCommand } from './export-command.ts';
import { importCommand } from './import-command.ts';
import { checkPrime, readCorpusText, sampleLengthOf, temperatureOf } from './early-checks.ts';
import { projectSourceCorpus } from './corpus.ts';
import { duration, progressLine } from './progress.ts';
import { CHILD_ENV_VARIABLE, relaunchWithQuietStderr } from './quiet-stderr.ts';

const USAGE = `Usage:
  npm start -- [train] [options]     train a character-level model
  npm start -- sample [options]      generate text from a checkpoint
  npm start -- export --onnx OUT     write a checkpoint as an ONNX model (export --help)
  npm start -- import --tfjs FILE    a TF.js / Keras model.json as a weights file (import --help)

Training options:
  --corpus FILE          text to train on (default: the project's own source code)
  --cell NAME            rnn | lstm | gru (default gru)
  --layers N             stacked layers (default 1)
  --dropout P            dropout between layers while training (default 0)
  --hidden N             hidden units (default 128)
  --embedding D          learned embedding of size D instead of one-hot inputs
  --seq N                time steps per batch (default 32)
  --batch N              sequences (streams) per batch (default 16)
  --steps N              train until this many optimizer steps (default 2000)
  --optimizer NAME       adam | adamw | sgd | rmsprop (default adam)
  --lr X                 learning rate (default 0.02)
  --schedule NAME        constant | cosine (warm-up 5%, decay to 0 at --steps; default cosine)
  --clip X               clip gradients to this global norm (default 5; 0 = off)
  --seed N               seed of weights, dropout and samples (default 1)
  --no-carry             start every chunk from a zero state instead of carrying the state across
                         the consecutive chunks of each stream (truncated BPTT; reset every epoch)
  --validation F         fraction of the text held out for validation (default 0.1)
  --eval-every N         steps between validation losses over the whole held-out text (default 250)
  --sample-every N       steps between samples (default 1000; 0 = only at the end)
  --checkpoint FILE      where to write checkpoints (default runs/<corpus>-<cell>.safetensors)
  --checkpoint-every N   steps between checkpoints (default 1000)
  --resume               continue from --checkpoint
Sampling options (also used for samples during training):
  --checkpoint FILE      the model to sample from
  --length N             characters to generate (default 400)
  --temperature X        softmax temperature (default 0.5)
  --top-k K              draw among the K most likely characters only
  --prime TEXT           text to continue (default: a newline, or the corpus's first character)
Both:
  --adapter NAME         auto | hardware | swiftshader | llvmpipe (default: hardware, else llvmpipe, else auto)
  --verbose              also show the WebGPU implementation's own messages (Dawn's warnings on stderr)`;

const OPTIONS = {
  corpus: { type: 'string' },
  cell: { type: 'string', default: 'gru' },
  layers: { type: 'string', default: '1' },
  dropout: { type: 'string', default: '0' },
  hidden: { type: 'string', default: '128' },
  embedding: { type: 'string' },
  seq: { type: 'string', default: '32' },
  batch: { type: 'string', default: '16' },
  steps: { type: 'string', default: '2000' },
  optimizer: { type: 'string', default: 'adam' },
  lr: { type: 'string', default: '0.02' },
  schedule: { type: 'string', default: 'cosine' },
  clip: { type: 'string', default: '5' },
  seed: { type: 'string', default: '1' },
  validation: { type: 'string', default: '0.1' },
  'eval-every': { type: 'string', default: '250' },
  'sample-every': { type: 'string', default: '1000' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string', default: '1000' },
  resume: { type: 'boolean', default: false },
  length: { type: 'string', default: '400' },
  temperature: { type: 'string', default: '0.5' },
  'top-k': { type: 'string' },
  prime: { type: 'string' },
  adapter: { type: 'string' },
  'no-carry': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function integer(name: string, value: string, minimum = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new Error(`--${name}: got ${JSON.stringify(value)}, expected an integer ≥ ${minimum}`);
  return number;
}

function number(name: string, value: string, check: (n: number) => boolean, expected: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || !check(parsed)) throw new Error(`--${name}: got ${JSON.stringify(value)}, expected ${expected}`);
  return parsed;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name}: got ${JSON.stringify(value)}, expected one of ${allowed.join(', ')}`);
  return value as T;
}

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function loadCorpus(path: string | undefined): { text: string; name: string } {
  if (!path) return { text: projectSourceCorpus(PROJECT_ROOT), name: 'project-source' };
  if (!existsSync(path)) throw new Error(`--corpus: no file at ${path}`);
  const text = readCorpusText(path);
  return { text, name: basename(path).replace(/\.[^.]*$/, '') };
}

/**
 * Without --adapter (or WEBGPU_RNN_ADAPTER): a GPU if there is one, else llvmpipe, which trains
 * several times faster than SwiftShader on the same CPU (bench/README.md), else what there is.
 */
async function contextFor(adapter: string | undefined) {
  if (adapter !== undefined || process.env[ADAPTER_ENV_VARIABLE]) return createGpuContext({ adapter: adapter as AdapterPreference | undefined });
  for (const preference of ['hardware', 'llvmpipe'] as const) {
    try {
      return await createGpuContext({ adapter: preference });
    } catch {
      // not on this machine: the next
    }
  }
  return createGpuContext({ adapter: 'auto' });
}

function defaultCheckpoint(corpusName: string, cell: string): string {
  return join(PROJECT_ROOT, 'runs', `${corpusName}-${cell}.safetensors`);
}

function optimizerOf(name: string, learningRate: number): OptimizerConfig {
  const type = oneOf('optimizer', name, ['adam', 'adamw', 'sgd', 'rmsprop'] as const);
  return type === 'sgd' ? { type, learningRate, momentum: 0.9 } : { type, learningRate };
}

async function trainCommand(values: Values): Promise<void> {
  const corpus = loadCorpus(values.corpus);
  const cell = oneOf('cell', values.cell, ['rnn', 'lstm', 'gru'] as const);
  const steps = integer('steps', values.steps);
  const checkpointPath = values.checkpoint ?? defaultCheckpoint(corpus.name, cell);
  const evalEvery = integer('eval-every', values['eval-every']);
  const sampleEvery = integer('sample-every', values['sample-every'], 0);
  const checkpointEvery = integer('checkpoint-every', values['checkpoint-every']);
  const temperature = temperatureOf(values.temperature);
  const topK = values['top-k'] === undefined ? undefined : integer('top-k', values['top-k']);
  const sampleLength = sampleLengthOf(values.length);
  const validationFraction = number('validation', values.validation, (n) => n > 0 && n < 0.5, 'a fraction in (0, 0.5)');
  const carry = !values['no-carry'];

  const { training, validation } = splitText(corpus.text, validationFraction);
  const context = await contextFor(values.adapter);
  let model: RnnModel;
  let vocabulary: CharacterVocabulary;
  let timeSteps: number;
  let batchSize: number;
  if (values.resume) {
    const bytes = readCheckpoint(checkpointPath);
    model = await RnnModel.fromCheckpoint(context, bytes);
    const { metadata } = decodeSafetensors(bytes);
    vocabulary = CharacterVocabulary.fromMetadata(metadata);
    timeSteps = integer('checkpoint time_steps', metadata.time_steps ?? '');
    batchSize = integer('checkpoint batch_size', metadata.batch_size ?? '');
    if (metadata.corpus_characters !== String(corpus.text.length)) {
      throw new Error(`--resume: the checkpoint was trained on a corpus of ${metadata.corpus_characters} characters, this one has ${corpus.text.length}; give the same --corpus`);
    }
    // A cosine schedule has reached its minimum at totalSteps: training past it would not move.
    const schedule = model.config.schedule;
    if (schedule.type === 'cosine' && steps > schedule.totalSteps) {
      throw new Error(
        `--steps ${steps}: the checkpoint's cosine schedule ends at step ${schedule.totalSteps} (learning rate ${schedule.minLearningRate ?? 0} from there); ` +
          `resume up to --steps ${schedule.totalSteps}, or start a run with more --steps (--schedule constant can be extended)`,
      );
    }
  } else {
    vocabulary = CharacterVocabulary.fromText(corpus.text);
    timeSteps = integer('seq', values.seq);
    batchSize = integer('batch', values.batch);
    const layers = integer('layers', values.layers);
    const learningRate = number('lr', values.lr, (n) => n > 0, 'a number above 0');
    const clip = number('clip', values.clip, (n) => n >= 0, 'a number ≥ 0');
    const schedule = oneOf('schedule', values.schedule, ['constant', 'cosine'] as const);
    model = await RnnModel.create(context, {
      cell,
      layers,
      dropout: number('dropout', values.dropout, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
      vocabularySize: vocabulary.size,
      ...(values.embedding ? { embeddingSize: integer('embedding', values.embedding) } : {}),
      hiddenSize: integer('hidden', values.hidden),
      seed: integer('seed', values.seed, 0),
      optimizer: optimizerOf(values.optimizer, learningRate),
      ...(schedule === 'cosine' ? { schedule: { type: 'cosine' as const, warmupSteps: Math.floor(steps * 0.05), totalSteps: steps } } : {}),
      ...(clip > 0 ? { clipGradientNorm: clip } : {}),
    });
  }
  const batches = new TextBatches(vocabulary.encode(training), timeSteps, batchSize);
  // Validation in batches of the same shape (fewer streams when the held-out text is short), all of
  // it each time: with carry, each stream is read as one sequence.
  const validationStreams = Math.max(1, Math.min(batchSize, Math.floor((Array.from(validation).length - 1) / (timeSteps + 1))));
  const validationBatches = new TextBatches(vocabulary.encode(validation), timeSteps, validationStreams);

  const c = model.config;
  console.log(`adapter   ${context.description}`);
  console.log(`corpus    ${values.corpus ?? "the project's own source code"}: ${corpus.text.length} characters, ${vocabulary.size} distinct; ${validationFraction * 100}% held out`);
  console.log(
    `model     ${c.cell}${c.cell === 'rnn' ? ` (${c.nonlinearity})` : ''}, ${c.layers} layer${c.layers > 1 ? 's' : ''} of ${c.hiddenSize}` +
      `${c.embeddingSize ? `, embedding ${c.embeddingSize}` : ''}${c.dropout ? `, dropout ${c.dropout}` : ''}; ${c.optimizer.type} lr ${c.optimizer.learningRate}` +
      `${c.schedule.type !== 'constant' ? ` (${c.schedule.type})` : ''}${c.clipGradientNorm ? `, clip ${c.clipGradientNorm}` : ''}; batches of ${batchSize} × ${timeSteps}`,
  );
  console.log(
    `training  ${batches.batchesPerEpoch} batches an epoch, ${carry ? 'state carried across the chunks of each stream (truncated BPTT), reset every epoch' : 'every chunk from a zero state (--no-carry)'}`,
  );
  console.log(`uniform guess: ln(${vocabulary.size}) = ${Math.log(vocabulary.size).toFixed(3)} nats/char`);
  console.log(`checkpoint ${checkpointPath}${values.resume ? ` (resumed at step ${model.stepCount})` : ''}\n`);

  let checkpointStep = values.resume ? model.stepCount : 0;
  const saveCheckpoint = async () => {
    const bytes = await model.saveCheckpoint({
      ...vocabulary.toMetadata(),
      time_steps: String(timeSteps),
      batch_size: String(batchSize),
      corpus_characters: String(corpus.text.length),
    });
    writeFileAtomically(checkpointPath, bytes);
    checkpointStep = model.stepCount;
  };
  // A lost device (driver reset, GPU process crash) ends training, never the saved work.
  const recoveryAdvice = (error: Error) =>
    new Error(
      `${error.message}\n` +
        (checkpointStep > 0
          ? `The checkpoint of step ${checkpointStep} at ${checkpointPath} is intact: continue with the same options and --resume.`
          : 'No checkpoint was written yet: start again (lower --checkpoint-every to save more often).'),
    );
  const prime = values.prime ?? defaultPrime(vocabulary, corpus.text);
  checkPrime(prime, vocabulary);
  const sample = (length: number) => sampleText(model, vocabulary, { prime, length, temperature, topK, seed: model.stepCount });
  const interactive = process.stdout.isTTY === true;

  const stop = new AbortController();
  process.on('SIGINT', () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    process.stdout.write('\nstopping: finishing this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
  });

  const startStep = model.stepCount;
  const printEvery = Math.max(20, Math.round((steps - startStep) / 200) * 10);
  let result: TrainResult;
  try {
    result = await train(model, {
      batches,
      steps,
      carry,
      progressEvery: 10,
      onProgress: (p) => {
        const line = progressLine({ step: p.step, steps, startStep, loss: p.loss, validationLoss: p.validationLoss, tokensPerSecond: p.charactersPerSecond, elapsedSeconds: p.elapsedSeconds });
        if (interactive) process.stdout.write(`\r${line}`);
        else if (p.step % printEvery === 0 || p.step === startStep + 1 || p.step === steps) console.log(line);
      },
      validation: validationBatches,
      validateEvery: evalEvery,
      ...(sampleEvery > 0 ? { sampleEvery, onSample: async ({ step }) => console.log(`${interactive ? '\n' : ''}--- sample at step ${step} ---\n${await sample(200)}\n---`) } : {}),
      checkpointEvery,
      onCheckpoint: saveCheckpoint,
      signal: stop.signal,
    });
  } catch (error) {
    throw recoveryAdvice(error as Error);
  }
  if (interactive) process.stdout.write('\n');
  const first = result.trainingLosses[0];
  const last = result.trainingLosses.at(-1);
  if (first && last) {
    const finalValidation = result.validationLosses.at(-1);
    const validationNote = finalValidation ? `; validation ${finalValidation.loss.toFixed(4)}` : '';
    console.log(`\nloss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} nats/char over steps ${startStep + 1}–${model.stepCount} in ${duration(result.elapsedSeconds)}${validationNote}`);
    console.log(`\n${lossChartText({ training: result.trainingLosses, validation: result.validationLosses })}`);
    const chartPath = checkpointPath.replace(/(\.safetensors)?$/, '-loss.svg');
    const title = `${c.cell} ${c.layers}×${c.hiddenSize} on ${corpus.name}: steps ${startStep + 1}–${model.stepCount}`;
    writeFileAtomically(chartPath, new TextEncoder().encode(lossChartSvg({ training: result.trainingLosses, validation: result.validationLosses }, { title })));
    console.log(`loss curve: ${chartPath}`);
  }
  if (result.skippedUpdates > 0) {
    console.log(`warning: ${result.skippedUpdates} of ${result.stepsTaken} steps had a non-finite loss or gradient and were not applied; try a lower --lr or --clip`);
  }
  console.log(`checkpoint written: ${checkpointPath} (step ${model.stepCount})${result.stopped === 'aborted' ? '; resume with --resume' : ''}`);
  const text = await sample(sampleLength);
  console.log(`\nsample (temperature ${temperature}${topK ? `, top-k ${topK}` : ''}):\n${'-'.repeat(60)}\n${text}\n${'-'.repeat(60)}`);
  model.dispose();
  context.destroy();
}

/** A newline when the text has one (samples then start at a line), else the text's first character. */
function defaultPrime(vocabulary: CharacterVocabulary, text: string): string {
  return vocabulary.characters.includes('\n') ? '\n' : Array.from(text)[0];
}

async function sampleCommand(values: Values): Promise<void> {
  const path = values.checkpoint ?? defaultCheckpoint('project-source', values.cell);
  const bytes = readCheckpoint(path);
  const context = await contextFor(values.adapter);
  const model = await RnnModel.fromWeights(context, bytes);
  const { metadata } = decodeSafetensors(bytes);
  const vocabulary = CharacterVocabulary.fromMetadata(metadata);
  if (values.prime !== undefined) checkPrime(values.prime, vocabulary);
  const text = await sampleText(model, vocabulary, {
    prime: values.prime ?? defaultPrime(vocabulary, vocabulary.characters[0]),
    length: sampleLengthOf(values.length),
    temperature: temperatureOf(values.temperature),
    ...(values['top-k'] ? { topK: integer('top-k', values['top-k']) } : {}),
    seed: integer('seed', values.seed, 0),
  });
  process.stdout.write(`${values.prime ?? ''}${text}\n`);
  model.dispose();
  context.destroy();
}

async function main(): Promise<void> {
  if (process.argv[2] === 'export') return exportCommand(process.argv.slice(3));
  if (process.argv[2] === 'import') return importCommand(process.argv.slice(3));
  const { values, positionals } = parseArgs({ options: OPTIONS, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const command = positionals[0] ?? 'train';
  if (positionals.length > 1 || !['train', 'sample'].includes(command)) throw new Error(`unknown command ${JSON.stringify(positionals.join(' '))}; expected train or sample (see --help)`);
  if (command === 'sample') await sampleCommand(values);
  else await trainCommand(values);
}

// Dawn writes warnings straight to stderr: unless --verbose, run in a child whose stderr is filtered.
const quiet = !process.argv.includes('--verbose') && process.env[CHILD_ENV_VARIABLE] !== '1';
(quiet ? relaunchWithQuietStderr().then((code) => process.exit(code)) : main()).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  },
);
