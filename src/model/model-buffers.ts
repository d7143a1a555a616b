/**
 * The GPU buffers a model owns for its lifetime: parameters, gradients and
 * optimizer moments (one flat buffer each, same layout), the loss history and
 * the carried hidden state.
 */
import { createStorageBuffer, createStorageBufferWith } from '../device/buffers.ts';
import type { ResolvedConfig } from './config.ts';
import type { ParameterLayout } from './parameter-layout.ts';

/** Losses of this many most recent steps stay readable on the GPU. */
export const LOSS_HISTORY_LENGTH = 1024;

export class ModelBuffers {
  readonly parameters: GPUBuffer;
  readonly gradients: GPUBuffer;
  /** Adam's m and v (absent for SGD). */
  readonly firstMoment: GPUBuffer | undefined;
  readonly secondMoment: GPUBuffer | undefined;
  /** Mean loss of step s at element s mod LOSS_HISTORY_LENGTH. */
  readonly lossHistory: GPUBuffer;
  private readonly device: GPUDevice;
  private readonly hiddenSize: number;
  private finalState: GPUBuffer | undefined;
  private finalStateBatch = 0;

  constructor(device: GPUDevice, config: ResolvedConfig, layout: ParameterLayout, initial: Float32Array) {
    this.device = device;
    this.hiddenSize = config.hiddenSize;
    this.parameters = createStorageBufferWith(device, 'parameters', initial);
    this.gradients = createStorageBuffer(device, 'gradients', layout.totalLength);
    if (config.optimizer.type === 'adam') {
      this.firstMoment = createStorageBuffer(device, 'Adam first moment', layout.totalLength);
      this.secondMoment = createStorageBuffer(device, 'Adam second moment', layout.totalLength);
    }
    this.lossHistory = createStorageBuffer(device, 'loss history', LOSS_HISTORY_LENGTH);
  }

  /** The final hidden state [B, H] of the latest run, (re)allocated for batch size B. */
  finalStateFor(batchSize: number): GPUBuffer {
    if (!this.finalState || this.finalStateBatch !== batchSize) {
      this.finalState?.destroy();
      this.finalState = createStorageBuffer(this.device, 'final hidden state', batchSize * this.hiddenSize);
      this.finalStateBatch = batchSize;
    }
    return this.finalState;
  }

  /** Batch size of the state the last run left, 0 before any run. */
  get carriedBatchSize(): number {
    return this.finalStateBatch;
  }

  destroy(): void {
    for (const buffer of [this.parameters, this.gradients, this.firstMoment, this.secondMoment, this.lossHistory, this.finalState]) {
      buffer?.destroy();
    }
    this.finalState = undefined;
  }
}
