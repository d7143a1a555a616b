/**
 * Numbers the demo computes on the CPU: the accuracy at chosen positions from
 * the logits RnnModel.predict returns (the copy task's recall; losses come from
 * the GPU, RnnModel.evaluate), the GPU memory the model reports (RnnModel.gpuMemory)
 * in words, and the smoothed loss curve the chart draws.
 * No GPU, no DOM.
 */
import type { GpuMemory } from '../src/index.ts';

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

export function parameterCount(shapes: Record<string, number[]>): number {
  return Object.values(shapes).reduce((total, shape) => total + shape.reduce((product, size) => product * size, 1), 0);
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

/** What the model's GPU memory is made of, for the memory figure's tooltip: its buffers by role, and each kept plan. */
export function memoryBreakdown(memory: GpuMemory): string {
  const plans = memory.plans.map((plan) => `${plan.timeSteps} × ${plan.batchSize} ${plan.mode === 'train' ? 'training' : 'evaluation'} ${formatBytes(plan.bytes)}`);
  return (
    `parameters ${formatBytes(memory.parameterBytes)}, gradients ${formatBytes(memory.gradientBytes)}, ` +
    `optimizer states ${formatBytes(memory.optimizerBytes)}, loss history and carried states ${formatBytes(memory.historyBytes + memory.stateBytes)}, ` +
    `step buffers ${formatBytes(memory.activationBytes)}${plans.length > 0 ? ` (${plans.join(', ')})` : ''}`
  );
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
