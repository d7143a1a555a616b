/**
 * Checks of the option objects and arguments of RnnModel's public methods other
 * than the config and the batch (config.ts, batch.ts): each function checks one
 * method's arguments and throws an InvalidArgumentError naming what is wrong,
 * before the method does anything. RnnModel calls them on its first line.
 */
import { InvalidArgumentError, POSITIVE_FLOAT32, requireFloat32 } from '../validation.ts';

/** Temperatures below this are greedy in effect; for greedy decoding use topK: 1. */
export const TEMPERATURE_MIN = 1e-6;
/** softmax(z / T): T from TEMPERATURE_MIN up to the float32 maximum (1/T goes to the GPU). */
export const TEMPERATURE_RANGE = { low: TEMPERATURE_MIN, high: POSITIVE_FLOAT32.high, meaning: `at least ${TEMPERATURE_MIN}; for greedy decoding use topK: 1` };

export function checkTemperature(argument: string, value: unknown): number {
  return requireFloat32(argument, value, TEMPERATURE_RANGE);
}

/** setLearningRate: a positive normal float32. */
export function checkLearningRate(value: unknown): number {
  return requireFloat32('learningRate', value, POSITIVE_FLOAT32);
}

/** The rate a schedule gives step t must be a finite float32 (a 'step' schedule with gamma > 1 grows without bound). */
export function checkScheduledLearningRate(step: number, rate: number): void {
  if (!(Math.fround(rate) <= POSITIVE_FLOAT32.high)) {
    throw new InvalidArgumentError(
      'config.schedule',
      `gives step ${step} a learning rate of ${rate}, above the float32 maximum ${POSITIVE_FLOAT32.high}; the step was not run (lower gamma or the learning rate)`,
    );
  }
}
