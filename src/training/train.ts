/**
 * The training loop: char-rnn style truncated BPTT over B-stream batches.
 *
 * Batch k of an epoch holds characters [k·T, (k+1)·T) of each of B contiguous
 * streams (TextBatches), so chunk k+1 of a stream continues chunk k. With
 * `carry` (the default) each chunk starts from the final states the previous
 * chunk left, h_0^(k+1) = h_T^(k): gradients stop at the chunk boundary but
 * the state, and so the context, runs on through the whole stream. The state
 * starts from zero at the first batch of every epoch (the streams start over).
 *
 * Validation runs over held-out batches with its own state, carried across
 * its chunks the same way. Training carries its state on the model's
 * 'training' stream, which evaluate, predict and generate leave alone, so
 * validating or sampling never changes what training computes.
 *
 * This is the library's one training loop, which the CLI and the demo's worker
 * call; its per-batch core (step-loop.ts) also runs RnnModel.trainEpoch.
 *
 * Imports nothing of Node: it runs in a page, a Web Worker or Node.
 */
import { InvalidArgumentError } from '../validation.ts';
import type { SequenceBatch } from '../model/batch.ts';
import type { RnnModel } from '../model/rnn-model.ts';
import { stepThrough } from './step-loop.ts';
import { checkEvaluateStreams, validateTrainOptions } from './train-options.ts';
import type { CheckedTrainOptions, EvaluateStreamsOptions, LossPoint, StreamBatches, TrainOptions, TrainResult } from './train-options.ts';

export type { EvaluateStreamsOptions, LossPoint, StreamBatches, TrainOptions, TrainProgress, TrainResult, ValidationReport } from './train-options.ts';

/**
 * The mean loss over the first `count` batches of `batches` (default: an epoch's) in
 * evaluation mode (no dropout, no update). With `carry` (the default) batch k > 0 starts
 * from batch k−1's final states, so every stream is read as one long sequence.
 */
export async function evaluateStreams(model: RnnModel, batches: StreamBatches, options: EvaluateStreamsOptions = {}): Promise<number> {
  const { count, carry } = checkEvaluateStreams(batches, options);
  const results = [];
  for (let index = 0; index < count; index++) {
    const batch = batches.batch(index);
    results.push(model.evaluate(carry && index > 0 ? { ...batch, initialHidden: 'carry' } : batch));
  }
  // Submitted back to back; the losses come in one wait.
  const losses = await Promise.all(results.map((result) => result.loss()));
  return losses.reduce((sum, loss) => sum + loss, 0) / losses.length;
}

/**
 * Trains `model` on `options.batches` until `steps` (the model's step count) or
 * for `epochs` passes; see TrainOptions for validation, progress, checkpoints,
 * samples and stopping. Options are checked before any GPU work.
 */
export async function train(model: RnnModel, options: TrainOptions): Promise<TrainResult> {
  const checked = validateTrainOptions(options);
  if (model.config.bidirectional) {
    // A reverse direction starts at each chunk's end: there is no state to carry across chunks.
    for (const key of ['carry', 'validationCarry'] as const) {
      if (options[key] === true) throw new InvalidArgumentError(`options.${key}`, 'true for a bidirectional model, which has no state to carry from one chunk to the next; pass false');
    }
    checked.carry = false;
    checked.validationCarry = false;
  }
  return trainChecked(model, checked);
}

/** The loop itself, on options validateTrainOptions has checked. */
async function trainChecked(model: RnnModel, o: CheckedTrainOptions): Promise<TrainResult> {
  const batches = o.batches;
  const perEpoch = batches.batchesPerEpoch;
  const startStep = model.stepCount;
  const skippedBefore = await model.readSkippedSteps();
  const targetStep = o.steps ?? startStep + o.epochs! * perEpoch;
  const charactersPerStep = batches.timeSteps * batches.batchSize;
  const trainingLosses: LossPoint[] = [];
  const validationLosses: LossPoint[] = [];
  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;

  // Steps that read their loss and call onProgress: the first, every progressEvery-th of the step count, and the last.
  const isProgressStep = (step: number, last: boolean) => step === startStep + 1 || step % o.progressEvery === 0 || last;
  const validate = async (step: number) => {
    const loss = await evaluateStreams(model, o.validation!, { carry: o.validationCarry, count: o.validationBatchLimit });
    validationLosses.push({ step, loss });
    await o.onValidation?.({ step, loss, elapsedSeconds: elapsedSeconds() });
  };

  let step = startStep;
  let lastValidated = -1;
  let lastCheckpoint = startStep;
  let aborted = false;
  // The chunks in order, until the target step or a stop: batch `index` of the epoch is the chunk after the last step's.
  function* chunks(): Generator<SequenceBatch> {
    while (step < targetStep) {
      if (o.signal?.aborted) {
        aborted = true;
        return;
      }
      const index = step % perEpoch;
      const chunk = batches.batch(index);
      // Carried: the chunk starts from the 'training' stream's final states, h_0^(k+1) = h_T^(k).
      yield o.carry && index > 0 && step > startStep ? { ...chunk, initialHidden: 'carry' } : chunk;
    }
  }
  await stepThrough(model, chunks(), {
    afterStep: async (result) => {
      step = result.step;
      const last = step === targetStep;
      if (o.validation && (step % o.validateEvery === 0 || last)) {
        await validate(step);
        lastValidated = step;
      }
      if (isProgressStep(step, last)) {
        const loss = await result.loss(); // waits for the GPU on reported steps only
        trainingLosses.push({ step, loss });
        const seconds = elapsedSeconds();
        await o.onProgress?.({
          step,
          targetStep,
          epoch: Math.floor((step - 1) / perEpoch) + 1,
          batchInEpoch: ((step - 1) % perEpoch) + 1,
          batchesPerEpoch: perEpoch,
          loss,
          elapsedSeconds: seconds,
          charactersPerSecond: ((step - startStep) * charactersPerStep) / Math.max(seconds, 1e-9),
          validationLoss: validationLosses.at(-1)?.loss,
        });
      }
      if (o.onSample && o.sampleEvery > 0 && step % o.sampleEvery === 0 && !last) {
        await o.onSample({ step });
      }
      if (o.onCheckpoint && o.checkpointEvery > 0 && step % o.checkpointEvery === 0 && !last) {
        await o.onCheckpoint({ step });
        lastCheckpoint = step;
      }
    },
  });
  // A stopped run still ends validated and saved.
  if (o.validation && step > startStep && lastValidated !== step) await validate(step);
  if (o.onCheckpoint && step > lastCheckpoint) await o.onCheckpoint({ step });
  return {
    stepsTaken: step - startStep,
    step,
    stopped: aborted ? 'aborted' : 'completed',
    skippedUpdates: (await model.readSkippedSteps()) - skippedBefore,
    trainingLosses,
    validationLosses,
    elapsedSeconds: elapsedSeconds(),
  };
}
