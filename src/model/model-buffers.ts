/**
 * The GPU buffers a model owns for its lifetime: parameters, gradients and
 * optimizer moments (one flat buffer each, same layout), the loss history and
 * the final (carried) states.
 */
import { createStorageBuffer, createStorageBufferWith } from '../device/buffers.ts';
import type { ResolvedConfig } from './config.ts';
import { GRADIENT_NORM_SCRATCH, GUARD_WORDS } from '../kernels/kernel-set.ts';
import { optimizerState } from './optimizer.ts';
import type { ParameterLayout } from './parameter-layout.ts';

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
  private readonly device: GPUDevice;
  /** Elements of one layer's state for one sequence: H. */
  private readonly hiddenSize: number;
  private readonly layers: number;
  private readonly hasCell: boolean;
  private finalStates: { hidden: GPUBuffer; cell: GPUBuffer | undefined } | undefined;
  private finalStateBatch = 0;

  constructor(device: GPUDevice, config: ResolvedConfig, layout: ParameterLayout, initial: Float32Array) {
    this.device = device;
    this.hiddenSize = config.hiddenSize;
    this.layers = config.layers;
    this.hasCell = config.cell === 'lstm';
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
  }

  /** The final states [L, B, H] of the latest run (hidden, and cell for LSTM), (re)allocated for batch size B. */
  finalStatesFor(batchSize: number): { hidden: GPUBuffer; cell: GPUBuffer | undefined } {
    if (!this.finalStates || this.finalStateBatch !== batchSize) {
      this.destroyFinalStates();
      const elements = this.layers * batchSize * this.hiddenSize;
      this.finalStates = {
        hidden: createStorageBuffer(this.device, 'final hidden states', elements),
        cell: this.hasCell ? createStorageBuffer(this.device, 'final cell states', elements) : undefined,
      };
      this.finalStateBatch = batchSize;
    }
    return this.finalStates;
  }

  private destroyFinalStates(): void {
    this.finalStates?.hidden.destroy();
    this.finalStates?.cell?.destroy();
    this.finalStates = undefined;
  }

  /** Batch size of the state the last run left, 0 before any run. */
  get carriedBatchSize(): number {
    return this.finalStateBatch;
  }

  destroy(): void {
    for (const buffer of [this.parameters, this.gradients, this.firstState, this.secondState, this.lossHistory, this.normHistory, this.normScratch, this.guard]) {
      buffer?.destroy();
    }
    this.destroyFinalStates();
  }
}
