/**
 * The GPU memory a model holds, counted from the buffers it created (each buffer's
 * size as allocated, rounding included), not estimated from the config: the
 * model's own buffers, the final states its streams carry, and every buffer of each
 * plan it keeps (one per batch shape and mode, counted when the plan was built).
 * Not counted: the device's kernel set (pipelines and two 16-byte placeholders,
 * shared by every model on the device) and the short-lived buffers of a readback
 * or of generate, destroyed before the call returns.
 */
import type { PlanMode } from './sequence-plan.ts';

/** The buffers of one plan the model keeps. */
export interface PlanMemory {
  /** 'train': forward, loss, backward and update buffers; 'evaluate': forward and loss only. */
  mode: PlanMode;
  timeSteps: number;
  batchSize: number;
  /** Inputs, targets, every layer's states and gate values (and, training, their gradients), logits, uniforms. */
  bytes: number;
}

export interface GpuMemory {
  /** The flat parameter buffer. */
  parameterBytes: number;
  /** The flat gradient buffer, the parameters' twin. */
  gradientBytes: number;
  /** The optimizer's per-parameter states (momentum, Adam's two moments, …); 0 for plain SGD. */
  optimizerBytes: number;
  /** The loss and gradient-norm histories, the norm's scratch and the non-finite guard's words. */
  historyBytes: number;
  /** The final states each state stream carries (training, evaluation, generation, …). */
  stateBytes: number;
  /** The plans kept, least recently used first. */
  plans: PlanMemory[];
  /** Σ plans' bytes. */
  activationBytes: number;
  /** Everything above. */
  totalBytes: number;
}

/** The model's own buffers by role (ModelBuffers.memory()). */
export type ModelBufferMemory = Pick<GpuMemory, 'parameterBytes' | 'gradientBytes' | 'optimizerBytes' | 'historyBytes' | 'stateBytes'>;

/** The whole: the model's own buffers and its plans, with their sums. */
export function gpuMemoryOf(own: ModelBufferMemory, plans: PlanMemory[]): GpuMemory {
  const activationBytes = plans.reduce((sum, plan) => sum + plan.bytes, 0);
  const { parameterBytes, gradientBytes, optimizerBytes, historyBytes, stateBytes } = own;
  return {
    ...own,
    plans,
    activationBytes,
    totalBytes: parameterBytes + gradientBytes + optimizerBytes + historyBytes + stateBytes + activationBytes,
  };
}
