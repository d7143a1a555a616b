/**
 * Checks of the option objects and arguments of RnnModel's public methods other
 * than the config and the batch (config.ts, batch.ts): each function checks one
 * method's arguments and throws an InvalidArgumentError naming what is wrong,
 * before the method does anything. RnnModel calls them on its first line.
 */
import { describeValue, InvalidArgumentError, POSITIVE_FLOAT32, requireFiniteFloats, requireFloat32 } from '../validation.ts';
import type { ParameterLayout, ParameterView } from './parameter-layout.ts';

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

/**
 * writeParameters: a plain object of arrays by parameter name. Names are looked up as
 * own properties only ('constructor' or 'toString' is an unknown name, not a built-in),
 * and every array is checked before anything is written.
 */
export function checkParameterValues(values: unknown, layout: ParameterLayout): { view: ParameterView; data: Float32Array }[] {
  const known = () => layout.views.map((v) => v.name).join(', ');
  if (!isPlainObject(values)) {
    const hint = values instanceof Map ? ' (for a Map, pass Object.fromEntries(map))' : '';
    throw new InvalidArgumentError('parameters', `got ${describeValue(values)}, expected a plain object of arrays by parameter name${hint}: ${known()}`);
  }
  return Object.entries(values).map(([name, array]) => {
    const view = Object.hasOwn(layout.byName, name) ? layout.byName[name] : undefined;
    if (!view) throw new InvalidArgumentError(`parameters.${name}`, `unknown parameter; expected one of ${known()}`);
    return { view, data: requireFiniteFloats(`parameters.${name}`, array, view.length, `shape [${view.shape.join(', ')}]`) };
  });
}

/** An object literal (or one with a null prototype): not an array, Map, typed array, Promise or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
