/**
 * One pass of training steps over any iterable of batches (RnnModel.trainEpoch), on
 * the loop's per-batch core (step-loop.ts): each batch as given, from zero states
 * unless it says otherwise; progress every `progressEvery` steps of the pass; and the
 * mean of every step's loss, summed from the GPU's loss history (EpochLosses) rather
 * than read back step by step. Char-rnn streams with carried state, validation and
 * checkpoints are train()'s (train.ts), on the same core.
 */
import type { SequenceBatch } from '../model/batch.ts';
import { InvalidArgumentError } from '../validation.ts';
import { EpochLosses } from './epoch-losses.ts';
import { stepThrough, type Trainable } from './step-loop.ts';

/** What trainEpoch reports every `progressEvery` steps. */
export interface EpochProgress {
  /** The optimizer step just taken (counting from the model's first). */
  step: number;
  /** Steps taken in this epoch so far. */
  stepsThisEpoch: number;
  /** That step's loss. */
  loss: number;
}

export interface EpochOptions {
  onProgress?: (progress: EpochProgress) => void;
  /** Steps between onProgress calls (default 10). */
  progressEvery?: number;
}

/** The model's ring of per-run losses on the GPU, as an epoch reads it. */
export interface LossHistory {
  /** Runs that have written a loss so far (the next run's index). */
  runsWritten(): number;
  /** The losses of `count` consecutive runs from run `first`, in one readback. */
  read(first: number, count: number): Promise<Float32Array>;
  /** Runs the ring holds. */
  readonly length: number;
}

/** Trains one step per batch; the steps taken and their mean loss. Arguments are checked by the caller. */
export async function trainOneEpoch(model: Trainable, history: LossHistory, batches: Iterable<SequenceBatch>, options: EpochOptions): Promise<{ steps: number; meanLoss: number }> {
  const progressEvery = options.progressEvery ?? 10;
  const losses = new EpochLosses((first, count) => history.read(first, count), history.length);
  const steps = await stepThrough(model, batches, {
    nameRefused: true,
    afterStep: async (result, taken) => {
      losses.add(history.runsWritten() - 1);
      if (options.onProgress && taken % progressEvery === 0) options.onProgress({ step: result.step, stepsThisEpoch: taken, loss: await result.loss() });
      await losses.collectIfDue(history.runsWritten());
    },
  });
  if (steps === 0) throw new InvalidArgumentError('batches', 'is empty, expected at least one batch');
  return { steps, meanLoss: await losses.mean() };
}
