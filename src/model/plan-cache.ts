/**
 * The plans a model keeps, one per batch shape and mode, most recently used last;
 * each holds its own activation buffers, so only a few are kept.
 */
import type { KernelSet } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';
import type { ModelBuffers } from './model-buffers.ts';
import type { ParameterLayout } from './parameter-layout.ts';
import { releaseOnFailure } from './release-on-failure.ts';
import { type PlanMode, SequencePlan } from './sequence-plan.ts';
import { checkBatchFitsDevice } from './size-limits.ts';

/** Batch shapes whose plans are kept. */
const PLANS_KEPT = 6;

export class PlanCache {
  private readonly plans = new Map<string, SequencePlan>();
  private readonly create: (timeSteps: number, batchSize: number, mode: PlanMode) => SequencePlan;
  /** Called with a plan just destroyed to make room. */
  private readonly onEvicted: (plan: SequencePlan) => void;

  constructor(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, buffers: ModelBuffers, onEvicted: (plan: SequencePlan) => void) {
    const device = kernels.device;
    // Every buffer of the shape checked against the device's limits first; a plan that fails part-way keeps no buffer.
    this.create = (timeSteps, batchSize, mode) => {
      checkBatchFitsDevice(config, timeSteps, batchSize, mode === 'train', device.limits);
      return releaseOnFailure(device, () => new SequencePlan(kernels, config, layout, buffers, timeSteps, batchSize, mode));
    };
    this.onEvicted = onEvicted;
  }

  /** The plan for T × B in `mode`, recorded on first use; the least recently used beyond PLANS_KEPT is destroyed. */
  planFor(timeSteps: number, batchSize: number, mode: PlanMode): SequencePlan {
    const key = `${mode} ${timeSteps}x${batchSize}`;
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    plan = this.create(timeSteps, batchSize, mode);
    this.plans.set(key, plan);
    if (this.plans.size > PLANS_KEPT) {
      const [oldestKey, oldest] = this.plans.entries().next().value!;
      this.plans.delete(oldestKey);
      oldest.destroy();
      this.onEvicted(oldest);
    }
    return plan;
  }

  destroy(): void {
    for (const plan of this.plans.values()) plan.destroy();
    this.plans.clear();
  }
}
