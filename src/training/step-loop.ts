/**
 * The per-batch core of the library's training loops, train() and RnnModel.trainEpoch:
 * one optimizer step per batch, in the order the batches come, each followed by the
 * loop's own work (loss bookkeeping, progress, validation, samples, checkpoints),
 * awaited before the next batch is drawn. So a generator's batches are made, and
 * checked, one at a time, and a loop that stops draws no batch after its last step.
 */
import type { SequenceBatch } from '../model/batch.ts';
import { epochStep } from '../model/options.ts';
import type { StepResult } from '../model/step-runner.ts';

/** What the loop steps: a model's trainStep. */
export interface Trainable {
  trainStep(batch: SequenceBatch): StepResult;
}

export interface StepLoopOptions {
  /** After each step: its result and the steps this pass has taken so far. */
  afterStep: (result: StepResult, taken: number) => void | Promise<void>;
  /**
   * A batch the model refuses is named by its place in the pass, batches[i], with the
   * steps taken before it (trainEpoch); otherwise its error goes on as the model gave it.
   */
  nameRefused?: boolean;
}

/** One trainStep per batch of `batches`, each followed by `afterStep`; the steps taken. */
export async function stepThrough(model: Trainable, batches: Iterable<SequenceBatch>, options: StepLoopOptions): Promise<number> {
  let taken = 0;
  for (const batch of batches) {
    const result = options.nameRefused ? epochStep(taken, taken, () => model.trainStep(batch)) : model.trainStep(batch);
    taken++;
    await options.afterStep(result, taken);
  }
  return taken;
}
