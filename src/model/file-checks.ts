/**
 * A model file's tensors are checked against the architecture it claims before
 * any model is built, so that a small file whose metadata claims a huge model is
 * refused at once (its tensors cannot match), and a file that does not fit costs
 * no GPU memory.
 */
import { SafetensorsError } from '../io/safetensors.ts';
import { InvalidArgumentError } from '../validation.ts';
import { type RnnModelConfig, resolveConfig } from './config.ts';
import { checkParametersFit, type ModelFileContents } from './model-file.ts';
import { optimizerState } from './optimizer.ts';
import { moduleParameterName, parameterShapes } from './parameter-layout.ts';

/**
 * Checks that `config` (the architecture a file records or implies, for a
 * checkpoint with its optimizer) is valid and that the file holds exactly the
 * tensors such a model has, with their shapes. Throws a SafetensorsError.
 */
export function checkFileFitsConfig(config: RnnModelConfig, file: Pick<ModelFileContents, 'parameters' | 'optimizerState'>, checkpoint = false): void {
  let resolved;
  try {
    resolved = resolveConfig(config);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new SafetensorsError(`the file describes a model that cannot be built: ${error.message}`);
    throw error;
  }
  const shapes = parameterShapes(resolved);
  checkParametersFit(file.parameters, shapes);
  checkFiniteTensors(file.parameters, '');
  if (!checkpoint) return;
  const needs = optimizerState(resolved.optimizer);
  const expected: Record<string, number[]> = {};
  for (const which of ['first', 'second'] as const) {
    if (!needs[which]) continue;
    for (const [name, shape] of Object.entries(shapes)) expected[`${which}.${name}`] = shape;
  }
  checkParametersFit(file.optimizerState, expected);
  checkFiniteTensors(file.optimizerState, 'optimizer.');
  // The second moment (Adam's v, RMSprop's square average) is a mean of squares: never negative.
  for (const [name, tensor] of Object.entries(file.optimizerState)) {
    if (!name.startsWith('second.')) continue;
    const negative = tensor.data.findIndex((value) => value < 0);
    if (negative >= 0) throw new SafetensorsError(`tensor '${fileTensorName('optimizer.', name)}' element ${negative} is ${tensor.data[negative]}, expected ≥ 0 (a mean of squared gradients)`);
  }
}

/** Every value must be a finite float32 (an F64 value beyond ±3.4028235e38 became ±Infinity when read as float32). */
function checkFiniteTensors(tensors: Record<string, { data: Float32Array }>, prefix: string): void {
  for (const [name, tensor] of Object.entries(tensors)) {
    const bad = tensor.data.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new SafetensorsError(`tensor '${fileTensorName(prefix, name)}' element ${bad} is ${tensor.data[bad]} as float32, expected a finite number within ±3.4028235e38 (the file's value is not finite or beyond the float32 range)`);
    }
  }
}

/** A tensor's name in the file: module names (rnn.…, head.…), optimizer states as optimizer.first.<module name>. */
function fileTensorName(prefix: string, layoutName: string): string {
  const state = /^(first|second)\.(.*)$/.exec(layoutName);
  return state ? `${prefix}${state[1]}.${moduleParameterName(state[2])}` : `${prefix}${moduleParameterName(layoutName)}`;
}
