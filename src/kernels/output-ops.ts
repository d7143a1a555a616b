/** The ops on the head's outputs: the losses with their gradients, the mean loss, and sampling a token. Installed on KernelSet's prototype (kernel-set.ts). */
import { type BufferSlice, type DispatchHandle, type DispatchPlan, gridFor } from './dispatch-plan.ts';
import { crossEntropyKernel } from './kernel-choice.ts';
import type { KernelSet } from './kernel-set.ts';
import { meanLossUniforms, mseUniforms, softmaxUniforms } from './kernel-uniforms.ts';
import { UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

export const outputOps = {
  /**
   * Draws a token from one row of logits (sample_token.wgsl), writing it to `nextInput[0]`
   * and appending it to `generated` ([0] counts the tokens drawn).
   */
  sampleToken(
    this: KernelSet,
    plan: DispatchPlan,
    args: { logits: BufferSlice; classes: number; nextInput: GPUBuffer; generated: GPUBuffer; topK: number; key: number; temperature: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('sampleToken'),
      { logits: args.logits.buffer, nextInput: args.nextInput, generated: args.generated },
      packUniforms(L.sampleToken, { classes: args.classes, logitsOffset: args.logits.offset, topK: args.topK, key: args.key >>> 0, inverseTemperature: 1 / args.temperature }),
      [1],
      label,
    );
  },

  /**
   * Row losses and, in place, dLoss/dLogits of the mean softmax cross-entropy (targets IGNORED_TARGET count for nothing),
   * over `classes` logits of each row of `rowLength` words (words past `classes` are left as they are).
   */
  softmaxCrossEntropy(
    this: KernelSet,
    plan: DispatchPlan,
    args: { targets: GPUBuffer; logits: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number; rowLength?: number },
    label: string,
  ): DispatchHandle {
    const key = crossEntropyKernel(args.classes);
    const perRow = key === 'softmaxCrossEntropyPerRow';
    return plan.add(
      this.kernel(key),
      { targets: args.targets, logits: args.logits.buffer, rowLosses: args.rowLosses },
      softmaxUniforms({ rows: args.rows, classes: args.classes, rowLength: args.rowLength ?? args.classes }, args.logits.offset, args.rows),
      perRow ? this.elementwiseGrid(args.rows) : gridFor(args.rows, this.device.limits.maxComputeWorkgroupsPerDimension),
      label,
    );
  },

  /**
   * Row losses Σ_v (y − t)² and, in place, dL/dy of the mean over counted rows (see mean_squared_error.wgsl): `classes`
   * outputs in each row of `rowLength` words, targets [rows, classes].
   */
  meanSquaredError(
    this: KernelSet,
    plan: DispatchPlan,
    args: { targetValues: GPUBuffer; rowFlags: GPUBuffer; outputs: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number; rowLength?: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('meanSquaredError'),
      { targetValues: args.targetValues, rowFlags: args.rowFlags, outputs: args.outputs.buffer, rowLosses: args.rowLosses },
      mseUniforms({ rows: args.rows, classes: args.classes, rowLength: args.rowLength ?? args.classes }, args.outputs.offset, args.rows),
      this.elementwiseGrid(args.rows),
      label,
    );
  },

  /** output[slot] = scale · Σ_r input[r]; returns the handle so the slot can move each step. */
  meanLoss(this: KernelSet, plan: DispatchPlan, input: BufferSlice, rows: number, output: BufferSlice, label: string): DispatchHandle {
    return plan.add(this.kernel('meanLoss'), { input: input.buffer, output: output.buffer }, meanLossUniforms(input.offset, rows, output.offset, rows), [1], label);
  },
};
