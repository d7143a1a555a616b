/**
 * `npm start`: trains a character-level model on the bundled corpus (or
 * --corpus FILE) on WebGPU in Node, printing the loss as it falls and a
 * generated sample at the end.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type AdapterPreference,
  CharacterVocabulary,
  createGpuContext,
  RnnModel,
  sampleText,
  type StepResult,
  TextBatches,
} from '../src/index.ts';
import { projectSourceCorpus } from './corpus.ts';

const USAGE = `Usage: npm start -- [options]
  --corpus FILE        text to train on (default: the project's own source code)
  --cell NAME          rnn | lstm | gru (default rnn)
  --layers N           stacked layers (default 1)
  --dropout P          dropout between layers while training (default 0)
  --hidden N           hidden units (default 128)
  --seq N              time steps per batch (default 32)
  --batch N            sequences per batch (default 32)
  --steps N            training steps (default 400)
  --lr X               Adam learning rate (default 0.003)
  --seed N             seed of weights and sampling (default 1)
  --adapter NAME       auto | hardware | swiftshader | llvmpipe (default auto)
  --sample N           characters to generate at the end (default 400)
  --temperature X      sampling temperature (default 0.8)
  --log-every N        steps between loss lines (default 20)`;

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string' },
      cell: { type: 'string', default: 'rnn' },
      layers: { type: 'string', default: '1' },
      dropout: { type: 'string', default: '0' },
      hidden: { type: 'string', default: '128' },
      seq: { type: 'string', default: '32' },
      batch: { type: 'string', default: '32' },
      steps: { type: 'string', default: '400' },
      lr: { type: 'string', default: '0.003' },
      seed: { type: 'string', default: '1' },
      adapter: { type: 'string' },
      sample: { type: 'string', default: '400' },
      temperature: { type: 'string', default: '0.8' },
      'log-every': { type: 'string', default: '20' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cell = values.cell;
  if (cell !== 'rnn' && cell !== 'lstm' && cell !== 'gru') throw new Error(`--cell: got ${JSON.stringify(cell)}, expected rnn, lstm or gru`);
  const layers = positiveInteger('layers', values.layers);
  const dropout = Number(values.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`--dropout: got ${JSON.stringify(values.dropout)}, expected a number in [0, 1)`);
  const hiddenSize = positiveInteger('hidden', values.hidden);
  const timeSteps = positiveInteger('seq', values.seq);
  const batchSize = positiveInteger('batch', values.batch);
  const steps = positiveInteger('steps', values.steps);
  const learningRate = positiveNumber('lr', values.lr);
  const seed = positiveInteger('seed', values.seed);
  const sampleLength = positiveInteger('sample', values.sample);
  const temperature = positiveNumber('temperature', values.temperature);
  const logEvery = positiveInteger('log-every', values['log-every']);

  const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
  const text = values.corpus ? readFileSync(values.corpus, 'utf8') : projectSourceCorpus(projectRoot);
  const corpusName = values.corpus ?? "the project's own source code";
  const vocabulary = CharacterVocabulary.fromText(text);
  const batches = new TextBatches(vocabulary.encode(text), timeSteps, batchSize);

  const context = await createGpuContext({ adapter: values.adapter as AdapterPreference | undefined });
  console.log(`adapter   ${context.description}`);
  console.log(`corpus    ${corpusName}: ${text.length} characters, ${vocabulary.size} distinct`);
  const cellName = { rnn: 'simple RNN (tanh)', lstm: 'LSTM', gru: 'GRU' }[cell];
  const dropoutNote = layers > 1 && dropout > 0 ? `, dropout ${dropout}` : '';
  console.log(`model     ${cellName}, ${layers} layer${layers > 1 ? 's' : ''} of ${hiddenSize}${dropoutNote}, Adam lr ${learningRate}; batches of ${batchSize} × ${timeSteps} characters`);
  console.log(`uniform guess would score ln(${vocabulary.size}) = ${Math.log(vocabulary.size).toFixed(3)} nats/char\n`);

  const model = await RnnModel.create(context, {
    cell,
    layers,
    dropout,
    vocabularySize: vocabulary.size,
    hiddenSize,
    seed,
    optimizer: { type: 'adam', learningRate },
  });
  const started = performance.now();
  let pending: StepResult | undefined;
  let firstLoss: number | undefined;
  let lastLoss = NaN;
  for (let step = 0; step < steps; step++) {
    const result = model.trainStep(batches.batch(step));
    if ((step + 1) % logEvery === 0 || step === 0 || step === steps - 1) pending = result;
    if (pending === result) {
      // Reading the loss waits for the GPU; it happens only on logged steps.
      lastLoss = await result.loss();
      firstLoss ??= lastLoss;
      const seconds = (performance.now() - started) / 1000;
      const tokensPerSecond = ((step + 1) * timeSteps * batchSize) / seconds;
      console.log(
        `step ${String(result.step).padStart(5)}/${steps}  loss ${lastLoss.toFixed(4)} nats/char  ` +
          `${tokensPerSecond.toFixed(0)} chars/s  ${seconds.toFixed(1)} s`,
      );
    }
  }
  console.log(`\nloss fell from ${firstLoss!.toFixed(4)} to ${lastLoss.toFixed(4)} nats/char over ${steps} steps`);

  const prime = Array.from(text.slice(0, 1))[0];
  const sample = await sampleText(model, vocabulary, { prime, length: sampleLength, temperature, seed });
  console.log(`\nsample (temperature ${temperature}):\n${'-'.repeat(60)}\n${prime}${sample}\n${'-'.repeat(60)}`);
  model.dispose();
  context.destroy();
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  },
);
