/**
 * Weights and checkpoints of a model as safetensors files (model-file.ts holds the
 * format): what a weights file and a checkpoint contain, how a file is checked
 * against a model, and the training state a checkpoint restores. No GPU work here:
 * the model reads and writes its buffers and hands over plain arrays.
 */
import { SafetensorsError } from '../io/safetensors.ts';
import type { ResolvedConfig, RnnModelConfig } from './config.ts';
import { type ArchitectureDescription, checkParametersFit, configOf, decodeModelFile, encodeModelFile, type ModelFileContents, OPTIMIZER_STATE_PREFIX } from './model-file.ts';
import { checkFileFitsConfig } from './file-checks.ts';
import { optimizerConfigOf, optimizerState } from './optimizer.ts';
import { checkTrainingState } from './options.ts';
import type { ParameterLayout } from './parameter-layout.ts';

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

/** The counters that place a model in its training: the schedule's step, dropout draws, loss-history writes. */
export interface TrainingCounters {
  optimizerStep: number;
  /** Training steps' dropout draws. */
  trainingRuns: number;
  lossWrites: number;
  /** Gradients-only passes' dropout draws (a sequence of their own; 0 in checkpoints that predate it). */
  gradientPasses: number;
}

/** The optimizer's per-parameter states, flat in the parameter layout (see optimizerState). */
export interface OptimizerStates {
  first?: Float32Array;
  second?: Float32Array;
}

/** What a model file records of a config: the architecture. */
export function architectureOf(config: Readonly<ResolvedConfig>): ArchitectureDescription {
  const { cell, nonlinearity, layers, inputKind, inputSize, embeddingSize, hiddenSize, outputSize, singleBias, bidirectional } = config;
  return { cell, nonlinearity, layers, inputKind, inputSize, embeddingSize, hiddenSize, outputSize, singleBias, bidirectional };
}

/** The configuration that recreates a model (architecture, optimizer, schedule, clipping, dropout, seed). */
export function fullConfigOf(config: Readonly<ResolvedConfig>): RnnModelConfig {
  return {
    ...configOf(architectureOf(config)),
    dropout: config.dropout,
    seed: config.seed,
    optimizer: optimizerConfigOf(config.optimizer),
    schedule: config.schedule,
    ...(config.loss !== 'cross-entropy' ? { loss: config.loss } : {}),
    ...(config.clipGradientNorm > 0 ? { clipGradientNorm: config.clipGradientNorm } : {}),
    ...(config.onNonFinite !== 'skip' ? { onNonFinite: config.onNonFinite } : {}),
  };
}

/** Parameter names (PyTorch state_dict names) and shapes. */
export function parameterShapesOf(layout: ParameterLayout): Record<string, number[]> {
  return Object.fromEntries(layout.views.map((view) => [view.name, [...view.shape]]));
}

/** The tensors of a flat buffer's contents, by parameter name (with `prefix`). */
function tensorsOf(layout: ParameterLayout, flat: Float32Array, prefix = ''): Tensors {
  return Object.fromEntries(layout.views.map((view) => [`${prefix}${view.name}`, { shape: view.shape, data: flat.slice(view.offset, view.offset + view.length) }]));
}

/** A weights file: F32 tensors by state_dict name, the architecture and `extraMetadata` in the metadata. */
export function encodeWeights(config: Readonly<ResolvedConfig>, layout: ParameterLayout, parameters: Float32Array, extraMetadata: Record<string, string>): Uint8Array {
  return encodeModelFile(architectureOf(config), tensorsOf(layout, parameters), extraMetadata);
}

/**
 * A checkpoint: the weights, the optimizer's states (`optimizer.first.<name>`,
 * `optimizer.second.<name>`) and in the metadata the full config and the counters.
 */
export function encodeCheckpoint(
  config: Readonly<ResolvedConfig>,
  layout: ParameterLayout,
  parameters: Float32Array,
  states: OptimizerStates,
  counters: TrainingCounters,
  extraMetadata: Record<string, string>,
): Uint8Array {
  const tensors = tensorsOf(layout, parameters);
  for (const which of ['first', 'second'] as const) {
    const flat = states[which];
    if (flat) Object.assign(tensors, tensorsOf(layout, flat, `${OPTIMIZER_STATE_PREFIX}${which}.`));
  }
  const trainingState = JSON.stringify({ config: fullConfigOf(config), ...counters });
  return encodeModelFile(architectureOf(config), tensors, extraMetadata, { trainingState });
}

/** Reads a checkpoint: the config to create the model with, its counters, and the file's tensors. */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer): { config: RnnModelConfig; counters: TrainingCounters; file: ModelFileContents } {
  const file = decodeModelFile(bytes);
  if (file.metadata.kind !== 'checkpoint') {
    throw new SafetensorsError(`the file is a ${file.metadata.kind ?? 'plain safetensors'} file, not a checkpoint; load weights with RnnModel.fromWeights`);
  }
  const state = checkTrainingState(file.metadata);
  // The file's tensors against the architecture it claims, before any model is built.
  checkFileFitsConfig(state.config, file, true);
  const { optimizerStep, trainingRuns, lossWrites, gradientPasses } = state;
  return { config: state.config, counters: { optimizerStep, trainingRuns, lossWrites, gradientPasses }, file };
}

/**
 * Checks that a decoded file fits a model (the recorded architecture, then every name
 * and shape) and returns its parameters by name; throws one SafetensorsError naming
 * every mismatch.
 */
export function parametersFitting(file: ModelFileContents, config: Readonly<ResolvedConfig>, layout: ParameterLayout): Record<string, Float32Array> {
  const recorded = file.inferred ? (['cell', 'layers', 'bidirectional'] as const) : (['cell', 'nonlinearity', 'layers', 'bidirectional'] as const);
  const mismatches = recorded
    .filter((key) => (key === 'bidirectional' ? (file.config.bidirectional ?? false) !== config.bidirectional : file.config[key] !== undefined && file.config[key] !== config[key]))
    .map((key) => `${key} ${file.config[key]} in the file, ${config[key]} in this model`);
  if (mismatches.length > 0) throw new SafetensorsError(`the file does not fit this model: ${mismatches.join('; ')}`);
  return checkedParameters(file.parameters, layout);
}

/** Tensors checked against the model's names and shapes, as arrays by name. */
export function checkedParameters(parameters: Tensors, layout: ParameterLayout): Record<string, Float32Array> {
  checkParametersFit(parameters, parameterShapesOf(layout));
  return Object.fromEntries(Object.entries(parameters).map(([name, tensor]) => [name, tensor.data]));
}

/** A checkpoint's optimizer tensors, checked against what the optimizer keeps, as flat buffers' contents. */
export function optimizerStatesFitting(tensors: Tensors, config: Readonly<ResolvedConfig>, layout: ParameterLayout): OptimizerStates {
  const needs = optimizerState(config.optimizer);
  const expected: Record<string, number[]> = {};
  for (const which of ['first', 'second'] as const) {
    if (!needs[which]) continue;
    for (const view of layout.views) expected[`${which}.${view.name}`] = view.shape;
  }
  checkParametersFit(tensors, expected);
  const states: OptimizerStates = {};
  for (const which of ['first', 'second'] as const) {
    if (!needs[which]) continue;
    const flat = new Float32Array(layout.totalLength);
    for (const view of layout.views) flat.set(tensors[`${which}.${view.name}`].data, view.offset);
    states[which] = flat;
  }
  return states;
}
