/**
 * Sequence classification with webgpu-rnn: many-to-one. Each sequence of a batch
 * has its own length (`lengths`); the loss is taken at each one's last step
 * against one class per sequence (`sequenceTargets`). Accuracy is measured on
 * held-out sequences from the logits `predict` returns at those last steps.
 * `?steps=N` sets the training steps (the tests use few).
 */
import { createGpuContext, RnnModel, seededRandom } from 'webgpu-rnn';
import { plotLines } from './plot.ts';

const STEPS = Number(new URLSearchParams(location.search).get('steps') ?? 300);
const CLASSES = ['rises', 'falls', 'zigzags'];
const MAX_LENGTH = 24; // T: every batch is padded to it
const BATCH = 32;

const status = document.getElementById('status')!;
const show = (text: string) => (status.textContent = text);

/** B sequences, time-major and zero-padded past each length, with their classes. */
function makeBatch(random: () => number, batchSize: number) {
  const inputs = new Float32Array(MAX_LENGTH * batchSize);
  const lengths = new Uint32Array(batchSize);
  const sequenceTargets = new Uint32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const length = 6 + Math.floor(random() * (MAX_LENGTH - 5));
    const label = Math.floor(random() * CLASSES.length);
    const offset = random() * 2 - 1;
    for (let t = 0; t < length; t++) {
      const shape = label === 0 ? t / length : label === 1 ? -t / length : t % 2 === 0 ? 0.4 : -0.4;
      inputs[t * batchSize + b] = offset + shape + 0.15 * (random() * 2 - 1);
    }
    lengths[b] = length;
    sequenceTargets[b] = label;
  }
  return { timeSteps: MAX_LENGTH, batchSize, inputs, lengths, sequenceTargets };
}

/** The share of sequences whose largest logit, at their own last step, is their class. */
async function accuracy(model: RnnModel, batch: ReturnType<typeof makeBatch>): Promise<number> {
  const { logits } = await model.predict({ timeSteps: batch.timeSteps, batchSize: batch.batchSize, inputs: batch.inputs, lengths: batch.lengths });
  let correct = 0;
  for (let b = 0; b < batch.batchSize; b++) {
    const row = ((batch.lengths[b] - 1) * batch.batchSize + b) * CLASSES.length;
    const scores = Array.from(logits.subarray(row, row + CLASSES.length));
    if (scores.indexOf(Math.max(...scores)) === batch.sequenceTargets[b]) correct++;
  }
  return correct / batch.batchSize;
}

async function main() {
  const context = await createGpuContext();
  const model = await RnnModel.create(context, {
    cell: 'lstm',
    inputSize: 1,
    hiddenSize: 24,
    outputSize: CLASSES.length,
    optimizer: { type: 'adam', learningRate: 0.02 },
  });
  const heldOut = makeBatch(seededRandom(99), 256);
  const before = await accuracy(model, heldOut);
  const random = seededRandom(1);
  const losses: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const result = model.trainStep(makeBatch(random, BATCH));
    if (step === 1 || step % 10 === 0 || step === STEPS) {
      losses.push(await result.loss());
      show(`step ${step} of ${STEPS} on ${context.description}: loss ${losses.at(-1)!.toFixed(3)}`);
    }
  }
  const after = await accuracy(model, heldOut);

  plotLines(document.querySelector('canvas')!, [{ label: 'training loss', colour: '#6366f1', values: losses }]);
  document.getElementById('summary')!.textContent =
    `Held-out accuracy on ${heldOut.batchSize} sequences: ${(100 * before).toFixed(0)}% before training (chance: 33%), ` +
    `${(100 * after).toFixed(0)}% after ${STEPS} steps.`;
  const shown = makeBatch(seededRandom(5), 4);
  const { logits } = await model.predict({ timeSteps: MAX_LENGTH, batchSize: 4, inputs: shown.inputs, lengths: shown.lengths });
  document.getElementById('examples')!.textContent = Array.from(shown.lengths, (length, b) => {
    const values = Array.from({ length }, (_, t) => shown.inputs[t * 4 + b].toFixed(1)).join(' ');
    const row = ((length - 1) * 4 + b) * CLASSES.length;
    const scores = Array.from(logits.subarray(row, row + CLASSES.length));
    return `${values}\n  → ${CLASSES[scores.indexOf(Math.max(...scores))]} (truly ${CLASSES[shown.sequenceTargets[b]]})`;
  }).join('\n');
  show('done');
  document.body.dataset.state = 'done';
  Object.assign(window, { exampleResult: { losses, accuracyBefore: before, accuracyAfter: after } });
  model.dispose();
}

main().catch((error: unknown) => {
  show(`failed: ${String(error)}`);
  document.body.dataset.state = 'error';
  console.error(error);
});
