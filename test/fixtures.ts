/**
 * Loads the PyTorch golden fixtures in test/fixtures/ (made by make_fixtures.py; see the
 * README there). Arrays are flattened row-major, time-major where there is time:
 * targets[t·B + b], logits[(t·B + b)·V + v], initialHidden[(l·B + b)·H + j].
 */
import { readFileSync } from 'node:fs';
import { decodeSafetensors, type SafetensorsFile } from '../src/io/safetensors.ts';

export type FixtureCell = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

export interface PytorchFixture {
  name: string;
  cell: FixtureCell;
  layers: number;
  input: 'tokens' | 'dense';
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  timeSteps: number;
  batchSize: number;
  /** PyTorch state_dict names (`weight_ih_l0`, …, head `weight`, `bias`), in state_dict order. */
  parameters: Record<string, Float64Array>;
  /** Gradient of the mean loss for every parameter, by the same names. */
  gradients: Record<string, Float64Array>;
  inputTokens?: Int32Array;
  inputs?: Float64Array;
  /** −100 (ignore_index) at positions past a sequence's length. */
  targets: Int32Array;
  /** Variable-length cases: each sequence's length (PyTorch ran them packed). */
  lengths?: Int32Array;
  initialHidden: Float64Array;
  initialCell?: Float64Array;
  finalHidden: Float64Array;
  finalCell?: Float64Array;
  logits: Float64Array;
  loss: number;
  dInitialHidden: Float64Array;
  dInitialCell?: Float64Array;
  /** Parameters after 3 steps of Adam(lr = 0.01) on the same batch. */
  adamParametersAfter3: Record<string, Float64Array>;
  /** Loss before each of those 3 steps (adamLosses[0] === loss). */
  adamLosses: Float64Array;
  /** Bidirectional cases (make_bidirectional_fixtures.py): `_reverse` parameters, states [2L, B, H]. */
  bidirectional: boolean;
  /** Many-to-one cases: one class per sequence; logits are then [B, V], from both directions' final states. */
  sequenceTargets?: Int32Array;
}

export const FIXTURE_NAMES: string[] = [
  'rnn_tanh-l1',
  'rnn_tanh-l2',
  'rnn_relu-l1',
  'rnn_relu-l2',
  'lstm-l1',
  'lstm-l2',
  'gru-l1',
  'gru-l2',
  'lstm-l2-dense',
  'gru-l2-dense',
  'rnn_tanh-l2-lengths',
  'lstm-l2-lengths',
  'gru-l1-lengths',
];

/** Bidirectional cases (make_bidirectional_fixtures.py). */
export const BIDIRECTIONAL_FIXTURE_NAMES: string[] = [
  ...['rnn_tanh', 'rnn_relu', 'lstm', 'gru'].flatMap((cell) => [`bi-${cell}-l1`, `bi-${cell}-l2`]),
  'bi-rnn_tanh-l2-lengths',
  'bi-lstm-l2-lengths',
  'bi-gru-l1-lengths',
  'bi-gru-l2-many-to-one',
  'bi-lstm-l1-many-to-one',
];

const CELLS: readonly FixtureCell[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
const GRAD = 'grad.';
const ADAM = 'adam3.';
/** Tensors that are not parameters; every other name without a prefix is one. */
const NON_PARAMETERS = new Set([
  'input_tokens', 'inputs', 'targets', 'lengths', 'initial_hidden', 'initial_cell',
  'final_hidden', 'final_cell', 'logits', 'loss', 'adam_losses', 'sequence_targets',
]);

export function fixturePath(name: string): URL {
  return new URL(`./fixtures/${name}.safetensors`, import.meta.url);
}

/** The decoded file as stored: tensors with their shapes, and the metadata strings. */
export function readFixtureFile(name: string): SafetensorsFile {
  return decodeSafetensors(new Uint8Array(readFileSync(fixturePath(name))));
}

export function loadFixture(name: string): PytorchFixture {
  const file = readFixtureFile(name);
  const metadata = (key: string): string => {
    const value = file.metadata[key];
    if (value === undefined) throw new Error(`fixture ${name}: metadata '${key}' missing`);
    return value;
  };
  const integer = (key: string): number => {
    const value = Number(metadata(key));
    if (!Number.isInteger(value)) throw new Error(`fixture ${name}: metadata '${key}' = '${metadata(key)}' is not an integer`);
    return value;
  };
  const cell = metadata('cell') as FixtureCell;
  if (!CELLS.includes(cell)) throw new Error(`fixture ${name}: unknown cell '${cell}'`);
  const input = metadata('input');
  if (input !== 'tokens' && input !== 'dense') throw new Error(`fixture ${name}: unknown input '${input}'`);

  const parameters: Record<string, Float64Array> = {};
  const gradients: Record<string, Float64Array> = {};
  const adamParametersAfter3: Record<string, Float64Array> = {};
  for (const key of Object.keys(file.tensors)) {
    if (key.startsWith(ADAM)) adamParametersAfter3[key.slice(ADAM.length)] = f64(file, name, key);
    else if (key.startsWith(GRAD)) {
      const base = key.slice(GRAD.length);
      if (!NON_PARAMETERS.has(base)) gradients[base] = f64(file, name, key);
    } else if (!NON_PARAMETERS.has(key)) parameters[key] = f64(file, name, key);
  }

  const optional = <T>(key: string, read: (f: SafetensorsFile, n: string, k: string) => T): T | undefined =>
    key in file.tensors ? read(file, name, key) : undefined;
  const loss = f64(file, name, 'loss');
  if (loss.length !== 1) throw new Error(`fixture ${name}: loss has ${loss.length} elements`);

  return {
    name,
    cell,
    layers: integer('layers'),
    input,
    inputSize: integer('input_size'),
    hiddenSize: integer('hidden_size'),
    outputSize: integer('output_size'),
    timeSteps: integer('time_steps'),
    batchSize: integer('batch_size'),
    parameters,
    gradients,
    inputTokens: optional('input_tokens', i32),
    inputs: optional('inputs', f64),
    targets: i32(file, name, 'targets'),
    lengths: optional('lengths', i32),
    initialHidden: f64(file, name, 'initial_hidden'),
    initialCell: optional('initial_cell', f64),
    finalHidden: f64(file, name, 'final_hidden'),
    finalCell: optional('final_cell', f64),
    logits: f64(file, name, 'logits'),
    loss: loss[0],
    dInitialHidden: f64(file, name, 'grad.initial_hidden'),
    dInitialCell: optional('grad.initial_cell', f64),
    adamParametersAfter3,
    adamLosses: f64(file, name, 'adam_losses'),
    bidirectional: file.metadata.bidirectional === 'true',
    sequenceTargets: optional('sequence_targets', i32),
  };
}

function tensor(file: SafetensorsFile, name: string, key: string) {
  const found = file.tensors[key];
  if (found === undefined) throw new Error(`fixture ${name}: tensor '${key}' missing`);
  return found;
}

function f64(file: SafetensorsFile, name: string, key: string): Float64Array {
  const found = tensor(file, name, key);
  if (!(found.data instanceof Float64Array)) throw new Error(`fixture ${name}: '${key}' is ${found.dtype}, want F64`);
  return found.data;
}

function i32(file: SafetensorsFile, name: string, key: string): Int32Array {
  const found = tensor(file, name, key);
  if (!(found.data instanceof Int32Array)) throw new Error(`fixture ${name}: '${key}' is ${found.dtype}, want I32`);
  return found.data;
}
