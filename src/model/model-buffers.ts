/**
 * The GPU buffers a model owns for its lifetime: parameters, gradients and
 * optimizer moments (one flat buffer each, same layout), the loss history and
 * the streams of carried states.
 */
import { createStorageBuffer, createStorageBufferWith } from '../device/buffers.ts';
import type { ResolvedConfig } from './config.ts';
import type { ModelBufferMemory } from './gpu-memory.ts';
import { GRADIENT_NORM_SCRATCH, GUARD_WORDS } from '../kernels/kernel-set.ts';
import { optimizerState } from './optimizer.ts';
import type { ParameterLayout } from './parameter-layout.ts';
import { StateStreams } from './state-streams.ts';

/** Losses of this many most recent steps stay readable on the GPU. */
export const LOSS_HISTORY_LENGTH = 1024;

export class ModelBuffers {
  readonly parameters: GPUBuffer;
  readonly gradients: GPUBuffer;
  /** The optimizer's per-parameter state (see optimizerState): momentum or Adam's m; Adam's v or RMSprop's square average. */
  readonly firstState: GPUBuffer | undefined;
  readonly secondState: GPUBuffer | undefined;
  /** Mean loss of run s at element s mod LOSS_HISTORY_LENGTH. */
  readonly lossHistory: GPUBuffer;
  /** The gradient norm of run s at the same element (training runs), and the norm's scratch words. */
  readonly normHistory: GPUBuffer;
  readonly normScratch: GPUBuffer;
  /** The non-finite guard: the update's indirect dispatch size and the count of skipped steps. */
  readonly guard: GPUBuffer;
  /** Where gradients-only passes' norm writes its guard words, leaving the training guard alone. */
  readonly normOnlyGuard: GPUBuffer;
  /** The final states of the latest run on each stream, which 'carry' continues from. */
  readonly streams: StateStreams;

  constructor(device: GPUDevice, config: ResolvedConfig, layout: ParameterLayout, initial: Float32Array) {
    this.streams = new StateStreams(device, { layers: config.layers * config.directions, hiddenSize: config.hiddenSize, hasCell: config.cell === 'lstm' });
    this.parameters = createStorageBufferWith(device, 'parameters', initial);
    this.gradients = createStorageBuffer(device, 'gradients', layout.totalLength);
    const state = optimizerState(config.optimizer);
    if (state.first) this.firstState = createStorageBuffer(device, `${config.optimizer.type} first state`, layout.totalLength);
    if (state.second) this.secondState = createStorageBuffer(device, `${config.optimizer.type} second state`, layout.totalLength);
    this.lossHistory = createStorageBuffer(device, 'loss history', LOSS_HISTORY_LENGTH);
    this.normHistory = createStorageBuffer(device, 'gradient norm history', LOSS_HISTORY_LENGTH);
    this.normScratch = createStorageBuffer(device, 'gradient norm scratch', GRADIENT_NORM_SCRATCH);
    this.guard = device.createBuffer({
      label: 'non-finite guard',
      size: GUARD_WORDS * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.normOnlyGuard = createStorageBuffer(device, 'gradient norm guard (no update)', GUARD_WORDS);
  }

  /** The buffers that record runs: the loss and norm histories, the norm's scratch, the guards. */
  private get historyBuffers(): GPUBuffer[] {
    return [this.lossHistory, this.normHistory, this.normScratch, this.guard, this.normOnlyGuard];
  }

  /** The bytes these buffers hold, by role, from their allocated sizes. */
  memory(): ModelBufferMemory {
    const bytes = (buffers: (GPUBuffer | undefined)[]) => buffers.reduce((sum, buffer) => sum + (buffer?.size ?? 0), 0);
    return {
      parameterBytes: this.parameters.size,
      gradientBytes: this.gradients.size,
      optimizerBytes: bytes([this.firstState, this.secondState]),
      historyBytes: bytes(this.historyBuffers),
      stateBytes: this.streams.bytes,
    };
  }

  destroy(): void {
    for (const buffer of [this.parameters, this.gradients, this.firstState, this.secondState, ...this.historyBuffers]) buffer?.destroy();
    this.streams.destroy();
  }
}
