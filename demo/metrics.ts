/**
 * Numbers the demo computes on the CPU: the accuracy at chosen positions from
 * the logits RnnModel.predict returns (the copy task's recall; losses come from
 * the GPU, RnnModel.evaluate), an estimate of the GPU memory a model holds, and
 * the smoothed loss curve the chart draws.
 * No GPU, no DOM.
 */
import { GATES } from '../src/index.ts';
import type { ModelInfo } from './protocol.ts';

/** How many of `positions` have their target as the largest logit (first maximum wins ties). */
export function correctPredictions(logits: ArrayLike<number>, targets: ArrayLike<number>, classes: number, positions: readonly number[]): number {
  let correct = 0;
  for (const p of positions) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[p * classes + c] > logits[p * classes + best]) best = c;
    if (best === targets[p]) correct++;
  }
  return correct;
}

export interface MemoryEstimate {
  parameterBytes: number;
  gradientBytes: number;
  /** Adam's two moments; 0 for SGD. */
  optimizerBytes: number;
  /** Buffers of one training step at the batch shape (states, gate values and their gradients, logits). */
  activationBytes: number;
  totalBytes: number;
}

const FLOAT_BYTES = 4;

export function parameterCount(shapes: Record<string, number[]>): number {
  return Object.values(shapes).reduce((total, shape) => total + shape.reduce((product, size) => product * size, 1), 0);
}

/**
 * An estimate, from the parameter shapes and the batch shape T × B: parameters,
 * gradients and Adam moments exactly (one float32 each per parameter), and per
 * layer the hidden states and their gradients ((T+1)·B·H each) plus the gate
 * values and their gradients (2·G·T·B·H; LSTM also cell states), and the head's
 * logits, inputs and targets. The engine's exact buffers differ a little.
 */
export function estimateGpuMemory(model: Pick<ModelInfo, 'cell' | 'layers' | 'hiddenSize' | 'optimizer' | 'vocabularySize' | 'parameterShapes'>, timeSteps: number, batchSize: number): MemoryEstimate {
  const parameters = parameterCount(model.parameterShapes) * FLOAT_BYTES;
  const T = timeSteps;
  const B = batchSize;
  const H = model.hiddenSize;
  const gates = GATES[model.cell];
  const cellStates = model.cell === 'lstm' ? 2 * (T + 1) * B * H : 0;
  const perLayer = 2 * (T + 1) * B * H + 2 * gates * T * B * H + cellStates;
  const head = T * B * model.vocabularySize + 3 * T * B;
  const activationBytes = (model.layers * perLayer + head) * FLOAT_BYTES;
  const optimizerBytes = model.optimizer === 'adam' ? 2 * parameters : 0;
  return {
    parameterBytes: parameters,
    gradientBytes: parameters,
    optimizerBytes,
    activationBytes,
    totalBytes: 2 * parameters + optimizerBytes + activationBytes,
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/**
 * Exponential moving average with bias correction (as TensorBoard smooths):
 * m_i = w·m_{i−1} + (1 − w)·x_i, shown as m_i / (1 − w^(i+1)), so the first points are not pulled to 0.
 */
export function smoothed(values: readonly number[], weight: number): number[] {
  let average = 0;
  return values.map((value, i) => {
    average = weight * average + (1 - weight) * value;
    return weight === 0 ? value : average / (1 - weight ** (i + 1));
  });
}
