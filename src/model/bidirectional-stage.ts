/**
 * A bidirectional layer (torch.nn.RNN / LSTM / GRU with bidirectional=True) built from two
 * ordinary recurrent layers: the forward one reads the input as it is; the reverse one,
 * with the `_reverse` parameters, reads a copy with each sequence mirrored within its own
 * length, rev(t, b) = len_b − 1 − t (as packed sequences run), so its step s is time
 * rev(s, b) and its final state (slot len_b) is the state after t = 0.
 *
 *   forward   x^rev = reverseRows(x);  fwd over x;  rev over x^rev;
 *             y[t, b] = [h^fwd_t, h^rev_{rev(t, b)}]                    (joinDirections, [T·B, 2H])
 *   backward  dh^fwd_t = dy[t, :H],  dh^rev_s = dy[rev(s), H:]          (splitDirections)
 *             each direction's BPTT;  dx = dx^fwd + reverseRows(dx^rev)
 *
 * Many-to-one runs (summary) join the reverse direction's final state into every step
 * instead, so the head at a sequence's last step reads [h^fwd_{len−1}, h^rev final], the
 * two halves of PyTorch's h_n for that sequence.
 */
import { createStorageBuffer } from '../device/buffers.ts';
import type { BufferSlice, DispatchHandle, DispatchPlan } from '../kernels/dispatch-plan.ts';
import { directionUniforms, type KernelSet } from '../kernels/kernel-set.ts';
import type { LayerInput, LayerSetting, RecurrentLayer } from './layers/recurrent-layer.ts';
import type { LayerStage } from './layer-stage.ts';
import type { ParameterLayout } from './parameter-layout.ts';

/**
 * The layout as the reverse direction of layer k sees it: its `_l{k}` names point at the
 * `_l{k}_reverse` parameters, so the ordinary layer classes address them unchanged.
 */
export function reverseDirectionLayout(layout: ParameterLayout, k: number): ParameterLayout {
  const byName = { ...layout.byName };
  for (const base of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'bias']) {
    const reverse = layout.byName[`${base}_l${k}_reverse`];
    if (reverse) byName[`${base}_l${k}`] = reverse;
  }
  return { ...layout, byName };
}

export class BidirectionalStage implements LayerStage {
  readonly directions: RecurrentLayer[];
  readonly output: BufferSlice;
  readonly outputWidth: number;
  private readonly kernels: KernelSet;
  private readonly forwardLayer: RecurrentLayer;
  private readonly reverseLayer: RecurrentLayer;
  private readonly lengths: GPUBuffer;
  private readonly timeSteps: number;
  private readonly batchSize: number;
  private readonly hiddenSize: number;
  private readonly label: string;
  /** The input with each sequence mirrored: token ids [T·B] or dense rows [T·B, W]. */
  private readonly reversedInput: GPUBuffer;
  private readonly reversedWidth: number;
  private readonly outputGradientBuffer: GPUBuffer | undefined;
  /** dL/dx^rev [T·B, W], before it is mirrored back into the input gradient (when one is asked for). */
  private readonly reversedInputGradient: GPUBuffer | undefined;
  private readonly ownedBuffers: GPUBuffer[] = [];
  private readonly summaryHandles: DispatchHandle[] = [];

  /**
   * `makeLayer` builds a recurrent layer from a setting; `input` is what this layer will read
   * (its width sizes the mirrored copy); `lengths` is the plan's u32 [B] buffer of sequence lengths.
   */
  constructor(setting: LayerSetting, makeLayer: (setting: LayerSetting) => RecurrentLayer, input: LayerInput, lengths: GPUBuffer, needsInputGradient: boolean) {
    const { kernels, timeSteps: T, batchSize: B, config, layer: k } = setting;
    this.kernels = kernels;
    this.timeSteps = T;
    this.batchSize = B;
    this.hiddenSize = config.hiddenSize;
    this.lengths = lengths;
    this.label = `layer ${k}`;
    this.forwardLayer = makeLayer(setting);
    this.reverseLayer = makeLayer({ ...setting, layout: reverseDirectionLayout(setting.layout, k) });
    this.directions = [this.forwardLayer, this.reverseLayer];
    this.outputWidth = 2 * this.hiddenSize;
    const shape = `T=${T} B=${B}`;
    this.reversedWidth = input.kind === 'tokens' ? 1 : input.width;
    this.reversedInput = this.buffer(`layer ${k} reversed input ${shape}`, T * B * this.reversedWidth);
    this.output = { buffer: this.buffer(`layer ${k} bidirectional output ${shape}`, T * B * this.outputWidth), offset: 0 };
    if (!setting.forwardOnly) {
      this.outputGradientBuffer = this.buffer(`layer ${k} bidirectional output gradient ${shape}`, T * B * this.outputWidth);
      if (needsInputGradient) this.reversedInputGradient = this.buffer(`layer ${k} reversed input gradient ${shape}`, T * B * this.reversedWidth);
    }
  }

  private buffer(label: string, elements: number): GPUBuffer {
    const buffer = createStorageBuffer(this.kernels.device, label, elements);
    this.ownedBuffers.push(buffer);
    return buffer;
  }

  get outputGradient(): BufferSlice {
    if (!this.outputGradientBuffer) throw new Error(`${this.label}: a forward-only plan has no output gradient`);
    return { buffer: this.outputGradientBuffer, offset: 0 };
  }

  private reversed(input: LayerInput): LayerInput {
    return input.kind === 'tokens'
      ? { kind: 'tokens', tokens: this.reversedInput, vocabulary: input.vocabulary }
      : { kind: 'dense', sequence: { buffer: this.reversedInput, offset: 0 }, width: input.width };
  }

  private mirror(plan: DispatchPlan, input: BufferSlice, output: BufferSlice, accumulate: boolean, label: string): void {
    this.kernels.reverseRows(plan, { lengths: this.lengths, input, output, timeSteps: this.timeSteps, batch: this.batchSize, width: this.reversedWidth, accumulate }, `${this.label} ${label}`);
  }

  recordForward(plan: DispatchPlan, input: LayerInput): void {
    const source = input.kind === 'tokens' ? { buffer: input.tokens, offset: 0 } : input.sequence;
    this.mirror(plan, source, { buffer: this.reversedInput, offset: 0 }, false, 'input mirrored');
    this.forwardLayer.recordForward(plan, input);
    this.reverseLayer.recordForward(plan, this.reversed(input));
    this.summaryHandles.push(
      this.kernels.joinDirections(
        plan,
        { lengths: this.lengths, forwardStates: this.forwardLayer.hiddenStates, reverseStates: this.reverseLayer.hiddenStates, joined: this.output, timeSteps: this.timeSteps, batch: this.batchSize, hiddenSize: this.hiddenSize },
        `${this.label} directions joined`,
      ),
    );
  }

  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void {
    this.summaryHandles.push(
      this.kernels.splitDirections(
        plan,
        { lengths: this.lengths, dJoined: this.outputGradient, forwardGradients: this.forwardLayer.stateGradients, reverseGradients: this.reverseLayer.stateGradients, timeSteps: this.timeSteps, batch: this.batchSize, hiddenSize: this.hiddenSize },
        `${this.label} output gradient split`,
      ),
    );
    this.forwardLayer.recordBackward(plan, input, inputGradient);
    const reversedGradient = inputGradient && this.reversedInputGradient ? { buffer: this.reversedInputGradient, offset: 0 } : undefined;
    this.reverseLayer.recordBackward(plan, this.reversed(input), reversedGradient);
    if (inputGradient && reversedGradient) this.mirror(plan, reversedGradient, inputGradient, true, 'input gradient mirrored back');
  }

  /** Many-to-one (summary) or per-step outputs for the coming run; the plan must be built. */
  setSummary(plan: DispatchPlan, summary: boolean): void {
    for (const handle of this.summaryHandles) plan.updateUniforms(handle, directionUniforms(this.timeSteps, this.batchSize, this.hiddenSize, summary, 0));
  }

  zeroBeforeBackward() {
    return [...this.forwardLayer.zeroBeforeBackward(), ...this.reverseLayer.zeroBeforeBackward()];
  }

  destroy(): void {
    this.forwardLayer.destroy();
    this.reverseLayer.destroy();
    for (const buffer of this.ownedBuffers) buffer.destroy();
  }
}
