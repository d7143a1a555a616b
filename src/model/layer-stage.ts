/**
 * One stacked layer of a training-step plan as the plan sees it: what it reads, the
 * output sequence it leaves for the layer above (or the head), where the gradient of
 * that output goes, and its recurrent layers in the order of PyTorch's h0 / h_n
 * blocks. A unidirectional stage is one RecurrentLayer whose hidden states are its
 * output; a bidirectional one (bidirectional-stage.ts) joins two.
 */
import type { BufferSlice, DispatchPlan } from '../kernels/dispatch-plan.ts';
import type { LayerInput, RecurrentLayer } from './layers/recurrent-layer.ts';

export interface LayerStage {
  /** The output sequence [T·B, outputWidth] (time-major), read by the layer above and the head. */
  readonly output: BufferSlice;
  readonly outputWidth: number;
  /** Where dL/d(output) [T·B, outputWidth] is written before this stage's backward (overwritten there). */
  readonly outputGradient: BufferSlice;
  /** The recurrent layers whose states are blocks of h0 / h_n, in PyTorch's order: [layer] or [forward, reverse]. */
  readonly directions: RecurrentLayer[];
  recordForward(plan: DispatchPlan, input: LayerInput): void;
  /** Backward over all steps; dL/d(input) into `inputGradient` (overwritten) where given. */
  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void;
  /** Ranges that must be zero when backward starts. */
  zeroBeforeBackward(): { buffer: GPUBuffer; offset: number; size: number }[];
  destroy(): void;
}

/** A unidirectional layer: its hidden states h_0..h_{T−1} (slots 1..T) are the output. */
export class SingleDirectionStage implements LayerStage {
  readonly directions: RecurrentLayer[];
  private readonly layer: RecurrentLayer;
  private readonly stateSize: number;

  constructor(layer: RecurrentLayer, batchSize: number) {
    this.layer = layer;
    this.directions = [layer];
    this.stateSize = batchSize * layer.hiddenSize;
  }

  get output(): BufferSlice {
    return { buffer: this.layer.hiddenStates, offset: this.stateSize };
  }

  get outputWidth(): number {
    return this.layer.hiddenSize;
  }

  get outputGradient(): BufferSlice {
    return { buffer: this.layer.stateGradients, offset: this.stateSize };
  }

  recordForward(plan: DispatchPlan, input: LayerInput): void {
    this.layer.recordForward(plan, input);
  }

  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void {
    this.layer.recordBackward(plan, input, inputGradient);
  }

  zeroBeforeBackward() {
    return this.layer.zeroBeforeBackward();
  }

  destroy(): void {
    this.layer.destroy();
  }
}
