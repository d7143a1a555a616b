/**
 * One recurrent layer of a training-step plan: its buffers, the dispatches of its
 * forward pass (input projection for all T steps, then t = 0..T−1) and of its
 * backward pass (t = T−1..0, then its weight gradients and the gradient of its
 * input, each summed over all T steps in one dispatch).
 *
 * Every layer keeps
 *   hiddenStates   [T+1, B, H]  slot 0 = h_{−1} (initial state), slot t+1 = h_t
 *   stateGradients [≥T+1, B, H] slot t+1 = dL/dh_t (from above, then plus the
 *                               recurrent part)
 * and, after backward, dL/dh_{−1} at `initialStateGradient`.
 */
import { createStorageBuffer } from '../../device/buffers.ts';
import type { BufferSlice, DispatchPlan } from '../../kernels/dispatch-plan.ts';
import type { KernelSet } from '../../kernels/kernel-set.ts';
import { groupedTokenRowsWords } from '../../kernels/sequence-ops.ts';
import type { ResolvedConfig } from '../config.ts';
import type { ParameterLayout } from '../parameter-layout.ts';

/** What a layer reads: token ids (layer 0 of a token model) or a dense sequence [T·B, width]. */
export type LayerInput =
  | { kind: 'tokens'; tokens: GPUBuffer; vocabulary: number }
  | { kind: 'dense'; sequence: BufferSlice; width: number };

export interface LayerSetting {
  kernels: KernelSet;
  config: ResolvedConfig;
  layout: ParameterLayout;
  parameters: GPUBuffer;
  gradients: GPUBuffer;
  timeSteps: number;
  batchSize: number;
  /** Index k of the layer. */
  layer: number;
  /** Evaluation plans: no gradient buffers, no backward. */
  forwardOnly: boolean;
}

/** Where an LSTM layer keeps c_t: slot t+1 at `offset + (t+1)·B·H` of `buffer` (slot 0 = c_{−1}). */
export interface CellStates {
  buffer: GPUBuffer;
  offset: number;
}

export abstract class RecurrentLayer {
  readonly hiddenStates: GPUBuffer;
  private readonly stateGradientsBuffer: GPUBuffer | undefined;
  /** LSTM only: the cell states and their gradients (same slot layout as the hidden states). */
  cellStates: CellStates | undefined;
  cellGradients: CellStates | undefined;
  protected readonly setting: LayerSetting;
  protected readonly ownedBuffers: GPUBuffer[] = [];

  protected constructor(setting: LayerSetting, gradientSlots: number) {
    this.setting = setting;
    const { timeSteps: T, batchSize: B, config, layer } = setting;
    const H = config.hiddenSize;
    this.hiddenStates = this.buffer(`layer ${layer} hidden states`, (T + 1) * B * H);
    this.stateGradientsBuffer = this.gradientBuffer(`layer ${layer} hidden-state gradients`, gradientSlots * B * H);
  }

  /** The hidden-state gradients (training plans only). */
  get stateGradients(): GPUBuffer {
    return this.required(this.stateGradientsBuffer, 'hidden-state gradients');
  }

  /** A buffer that only training plans have: undefined in forward-only plans. */
  protected gradientBuffer(label: string, elements: number): GPUBuffer | undefined {
    return this.setting.forwardOnly ? undefined : this.buffer(label, elements);
  }

  protected required(buffer: GPUBuffer | undefined, what: string): GPUBuffer {
    if (!buffer) throw new Error(`layer ${this.setting.layer}: a forward-only plan has no ${what}`);
    return buffer;
  }

  protected buffer(label: string, elements: number): GPUBuffer {
    const { timeSteps: T, batchSize: B } = this.setting;
    const buffer = createStorageBuffer(this.setting.kernels.device, `${label} T=${T} B=${B}`, elements);
    this.ownedBuffers.push(buffer);
    return buffer;
  }

  /** Element offset of parameter `name` of this layer (e.g. 'weight_hh'; 'bias' of single-bias models). */
  protected at(name: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'bias'): number {
    return this.setting.layout.byName[`${name}_l${this.setting.layer}`].offset;
  }

  /** Biases added to the pre-activations: b_ih and b_hh, or the single b. */
  protected get biasOffsets(): [number] | [number, number] {
    return this.setting.config.singleBias ? [this.at('bias')] : [this.at('bias_ih'), this.at('bias_hh')];
  }

  get hiddenSize(): number {
    return this.setting.config.hiddenSize;
  }

  protected get stateSize(): number {
    return this.setting.batchSize * this.setting.config.hiddenSize;
  }

  /** Where dL/dh_{−1} [B, H] is after backward. */
  get initialStateGradient(): BufferSlice {
    return { buffer: this.stateGradients, offset: 0 };
  }

  /** Forward over all time steps. */
  abstract recordForward(plan: DispatchPlan, input: LayerInput): void;

  /**
   * Backward over all time steps (dL/dh_t is in stateGradients on entry), then the
   * weight gradients, and dL/d(input) into `inputGradient` (layers above the first).
   */
  abstract recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void;

  /** Ranges of the gradient buffers that must be zero when backward starts (they are only added to). */
  abstract zeroBeforeBackward(): { buffer: GPUBuffer; offset: number; size: number }[];

  // ---- work shared by the cells, each over all T steps at once ----

  /** out[t·B + b] = W_ih x_t + b_ih (+ b_hh): G·H values per position. */
  protected recordInputProjection(plan: DispatchPlan, input: LayerInput, output: BufferSlice, biasOffsets: [number] | [number, number]): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    const rows = T * B;
    const width = config.gates * config.hiddenSize;
    if (input.kind === 'tokens') {
      kernels.embeddingForward(
        plan,
        { tokens: input.tokens, parameters, weightOffset: this.at('weight_ih'), biasOffsets, output, rows, width, vocabulary: input.vocabulary },
        `layer ${layer} input projection (token gather)`,
      );
    } else {
      kernels.matmul(
        plan,
        { a: input.sequence, b: { buffer: parameters, offset: this.at('weight_ih') }, transposeB: true, c: output, m: rows, n: width, k: input.width, bias: { buffer: parameters, offsets: biasOffsets } },
        `layer ${layer} input projection`,
      );
    }
  }

  /**
   * dW_ih += Σ_t dA_tᵀ x_t for pre-activation gradients dA [T·B, G·H], and db += Σ_t Σ_b dA_t into each
   * of `biasOffsets`: for token inputs one scatter that also sums the biases (embeddingBackward).
   */
  protected recordInputWeightAndBiasGradients(plan: DispatchPlan, input: LayerInput, dPreactivations: BufferSlice, biasOffsets: number[]): void {
    const { kernels, config, gradients, timeSteps: T, batchSize: B, layer } = this.setting;
    const rows = T * B;
    const width = config.gates * config.hiddenSize;
    if (input.kind === 'tokens') {
      // CPU adapters walk each token's rows (embeddingGradientKeys), grouped in a scratch buffer.
      const grouped = kernels.cpuAdapter ? this.buffer(`layer ${layer} token rows grouped by token`, groupedTokenRowsWords(rows, input.vocabulary)) : undefined;
      kernels.embeddingBackward(
        plan,
        { tokens: input.tokens, grouped, dPreactivations, gradients, weightOffset: this.at('weight_ih'), rows, width, vocabulary: input.vocabulary, biasOffsets },
        `layer ${layer} input weight and bias gradients (token scatter)`,
      );
    } else {
      kernels.matmul(
        plan,
        { a: dPreactivations, transposeA: true, b: input.sequence, c: { buffer: gradients, offset: this.at('weight_ih') }, m: width, n: input.width, k: rows, accumulate: true },
        `layer ${layer} input weight gradient`,
      );
      this.recordBiasGradients(plan, dPreactivations, biasOffsets);
    }
  }

  /** dW_hh += Σ_t dA_tᵀ h_{t−1}. */
  protected recordRecurrentWeightGradient(plan: DispatchPlan, dPreactivations: BufferSlice): void {
    const { kernels, config, gradients, timeSteps: T, batchSize: B, layer } = this.setting;
    kernels.matmul(
      plan,
      {
        a: dPreactivations,
        transposeA: true,
        b: { buffer: this.hiddenStates, offset: 0 },
        c: { buffer: gradients, offset: this.at('weight_hh') },
        m: config.gates * config.hiddenSize,
        n: config.hiddenSize,
        k: T * B,
        accumulate: true,
      },
      `layer ${layer} recurrent weight gradient`,
    );
  }

  /** db += Σ_t Σ_b dA_t, into each of the given bias offsets. */
  protected recordBiasGradients(plan: DispatchPlan, dPreactivations: BufferSlice, biasOffsets: number[]): void {
    const { kernels, config, gradients, timeSteps: T, batchSize: B, layer } = this.setting;
    kernels.columnSums(plan, dPreactivations, T * B, config.gates * config.hiddenSize, { buffer: gradients, offsets: biasOffsets }, `layer ${layer} bias gradients`);
  }

  /** dL/dx_t = dA_t · W_ih for all t, written into the layer below's state gradients (or the embedding's). */
  protected recordInputGradient(plan: DispatchPlan, input: LayerInput, dPreactivations: BufferSlice, inputGradient: BufferSlice): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    if (input.kind !== 'dense') throw new Error(`layer ${layer}: token inputs have no input gradient`);
    kernels.matmul(
      plan,
      { a: dPreactivations, b: { buffer: parameters, offset: this.at('weight_ih') }, c: inputGradient, m: T * B, n: input.width, k: config.gates * config.hiddenSize },
      `layer ${layer} input gradient`,
    );
  }

  /** dL/dh_{t−1} (=|+=) dA_t · W_hh, the recurrent part of the previous state's gradient, into slot t (or `target`). */
  protected recordRecurrentStateGradient(plan: DispatchPlan, dPreactivations: BufferSlice, t: number, accumulate: boolean, target?: BufferSlice): void {
    const { kernels, config, parameters, batchSize: B, layer } = this.setting;
    kernels.matmul(
      plan,
      {
        a: dPreactivations,
        b: { buffer: parameters, offset: this.at('weight_hh') },
        c: target ?? { buffer: this.stateGradients, offset: t * this.stateSize },
        m: B,
        n: config.hiddenSize,
        k: config.gates * config.hiddenSize,
        accumulate,
        sharedB: true,
      },
      `layer ${layer} recurrent state gradient t=${t}`,
    );
  }

  destroy(): void {
    for (const buffer of this.ownedBuffers) buffer.destroy();
  }
}
