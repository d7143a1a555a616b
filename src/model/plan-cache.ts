/**
 * The plans a model keeps, one per batch shape and mode, most recently used last;
 * each holds its own activation buffers, so only a few are kept. The bytes of the
 * buffers each plan created are counted as it is built (GpuMemory).
 */
import type { KernelSet } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';
import type { PlanMemory } from './gpu-memory.ts';
import type { ModelBuffers } from './model-buffers.ts';
import type { ParameterLayout } from './parameter-layout.ts';
import { buildCounted } from './release-on-failure.ts';
import { type PlanMode, SequencePlan } from './sequence-plan.ts';
import { checkBatchFitsDevice } from './size-limits.ts';

/** Batch shapes whose plans are kept. */
const PLANS_KEPT = 6;

export class PlanCache {
  private readonly plans = new Map<string, { plan: SequencePlan; bytes: number }>();
  private readonly create: (timeSteps: number, batchSize: number, mode: PlanMode) => { built: SequencePlan; bytes: number };
  /** Called with a plan just destroyed to make room. */
  private readonly onEvicted: (plan: SequencePlan) => void;

  constructor(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, buffers: ModelBuffers, onEvicted: (plan: SequencePlan) => void) {
    const device = kernels.device;
    // Every buffer of the shape checked against the device's limits first; a plan that fails part-way keeps no buffer.
    this.create = (timeSteps, batchSize, mode) => {
      checkBatchFitsDevice(config, timeSteps, batchSize, mode === 'train', device.limits);
      return buildCounted(device, () => new SequencePlan(kernels, config, layout, buffers, timeSteps, batchSize, mode));
    };
    this.onEvicted = onEvicted;
  }

  /** The plan for T × B in `mode`, recorded on first use; the least recently used beyond PLANS_KEPT is destroyed. */
  planFor(timeSteps: number, batchSize: number, mode: PlanMode): SequencePlan {
    const key = `${mode} ${timeSteps}x${batchSize}`;
    const kept = this.plans.get(key);
    if (kept) {
      this.plans.delete(key);
      this.plans.set(key, kept);
      return kept.plan;
    }
    const { built: plan, bytes } = this.create(timeSteps, batchSize, mode);
    this.plans.set(key, { plan, bytes });
    if (this.plans.size > PLANS_KEPT) {
      const [oldestKey, { plan: oldest }] = this.plans.entries().next().value!;
      this.plans.delete(oldestKey);
      oldest.destroy();
      this.onEvicted(oldest);
    }
    return plan;
  }

  /** The plans kept and the bytes of the buffers each created, least recently used first. */
  memory(): PlanMemory[] {
    return [...this.plans.values()].map(({ plan, bytes }) => ({ mode: plan.mode, timeSteps: plan.timeSteps, batchSize: plan.batchSize, bytes }));
  }

  destroy(): void {
    for (const { plan } of this.plans.values()) plan.destroy();
    this.plans.clear();
  }
}
