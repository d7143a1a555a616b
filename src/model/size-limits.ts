/**
 * Upper bounds on sizes, checked before anything is allocated: stated maxima
 * (so that index arithmetic stays exact and recording stays bounded), and the
 * device's per-buffer limit for the parameters and for every buffer a batch shape
 * needs. A refused size allocates nothing on the CPU or the GPU.
 */
import { InvalidArgumentError } from '../validation.ts';
import type { ResolvedConfig } from './config.ts';
import { headRows, parameterLayout } from './parameter-layout.ts';

/** The stated maxima. */
export const SIZE_LIMITS = {
  /** vocabularySize, inputSize, embeddingSize, hiddenSize, outputSize: 2²⁴, the integers a float32 holds exactly. */
  dimension: 2 ** 24,
  /** Stacked layers: each adds its dispatches to every time step. */
  layers: 1024,
  /** batch.timeSteps: the plan records every step's dispatches. */
  timeSteps: 65_536,
  /** batch.batchSize. */
  batchSize: 2 ** 24,
  /** generate({ length }): all steps are recorded into one submission (~0.5 ms a step on a software adapter). */
  generateLength: 100_000,
  /** generate({ topK }) below the vocabulary size V: top-k selection costs V·k per token in one GPU invocation. */
  topKSelection: 2 ** 24,
} as const;

/** The largest buffer the device binds: the smaller of maxStorageBufferBindingSize and maxBufferSize. */
function bufferLimit(limits: GPUSupportedLimits): { bytes: number; name: string } {
  const binding = limits.maxStorageBufferBindingSize;
  const buffer = limits.maxBufferSize;
  return buffer < binding ? { bytes: buffer, name: 'maxBufferSize' } : { bytes: binding, name: 'maxStorageBufferBindingSize' };
}

/** Bytes of a storage buffer of `elements` words, as createStorageBuffer rounds them. */
const bufferBytes = (elements: number) => Math.max(16, Math.ceil((elements * 4) / 16) * 16);

/** The model's flat parameter buffer (and its gradient and optimizer-state twins) must fit one buffer. */
export function checkModelFitsDevice(config: ResolvedConfig, limits: GPUSupportedLimits): void {
  const bytes = bufferBytes(parameterLayout(config).totalLength);
  const limit = bufferLimit(limits);
  if (bytes > limit.bytes) {
    throw new InvalidArgumentError(
      'config',
      `parameters needs ${bytes} bytes, above this device's ${limit.name} of ${limit.bytes} bytes ` +
        `(${config.layers} layer(s) of hiddenSize ${config.hiddenSize}, inputs ${config.inputSize}, outputs ${config.outputSize}); use smaller sizes`,
    );
  }
}

/** The buffers a plan for T × B allocates, by what they hold (elements). */
function planBuffers(config: ResolvedConfig, timeSteps: number, batchSize: number, training: boolean): [string, number][] {
  const { hiddenSize: H, outputSize: V, inputSize: I, embeddingSize: D, layers: L } = config;
  const TB = timeSteps * batchSize;
  const states = (timeSteps + 1) * batchSize * H;
  const gateParts = { rnn: 0, lstm: TB * 4 * H + states, gru: 2 * TB * 3 * H }[config.cell];
  const buffers: [string, number][] = [
    ['inputs', config.inputKind === 'tokens' ? TB : TB * I],
    ['logits', TB * headRows(V)],
    ['hidden states', states],
    ['final states', L * batchSize * H],
  ];
  if (gateParts > 0) buffers.push([`${config.cell.toUpperCase()} gates`, gateParts]);
  if (D > 0) buffers.push(['embedded inputs', TB * D]);
  if (training) buffers.push(['hidden-state gradients', states]);
  return buffers;
}

/** Every buffer a plan for this batch shape needs must fit the device, checked before any is made. */
export function checkBatchFitsDevice(config: ResolvedConfig, timeSteps: number, batchSize: number, training: boolean, limits: GPUSupportedLimits): void {
  const limit = bufferLimit(limits);
  for (const [what, elements] of planBuffers(config, timeSteps, batchSize, training)) {
    const bytes = bufferBytes(elements);
    if (bytes > limit.bytes) {
      throw new InvalidArgumentError(
        'batch',
        `timeSteps × batchSize = ${timeSteps} × ${batchSize} needs ${bytes} bytes for the ${what}, above this device's ${limit.name} of ${limit.bytes} bytes; use fewer time steps or sequences`,
      );
    }
  }
}

/** generate's top-k selection (one GPU invocation per token, V·k work) within the stated maximum. */
export function checkTopKSelection(vocabularySize: number, topK: number): void {
  if (topK < vocabularySize && vocabularySize * topK > SIZE_LIMITS.topKSelection) {
    throw new InvalidArgumentError(
      'options.topK',
      `got ${topK} over a vocabulary of ${vocabularySize}: top-k selection of V·k = ${vocabularySize * topK} per token is above the stated maximum ${SIZE_LIMITS.topKSelection}; use topK ≤ ${Math.floor(SIZE_LIMITS.topKSelection / vocabularySize)} or sample from all (no topK)`,
    );
  }
}
