/**
 * Simple RNN layer (tanh or relu): one fused dispatch per step each way.
 *   forward   h_t = φ(W_ih x_t + b_ih + b_hh + h_{t−1} W_hhᵀ)
 *   backward  dA_t = (dL/dh_t + dA_{t+1} W_hh) ⊙ φ'(h_t),  in place in stateGradients,
 *             which has T+2 slots: slot t+1 ends as dA_t, slot T+1 stays zero;
 *             then dL/dh_{−1} = dA_0 W_hh into a buffer of its own (a dispatch may
 *             not read and write one buffer through two bindings).
 */
import type { BufferSlice, DispatchPlan } from '../../kernels/dispatch-plan.ts';
import { type LayerInput, type LayerSetting, RecurrentLayer } from './recurrent-layer.ts';

export class RnnLayer extends RecurrentLayer {
  private readonly initialGradient: GPUBuffer | undefined;

  constructor(setting: LayerSetting) {
    super(setting, setting.timeSteps + 2);
    this.initialGradient = this.gradientBuffer(`layer ${setting.layer} initial-state gradient`, this.stateSize);
  }

  override get initialStateGradient(): BufferSlice {
    return { buffer: this.required(this.initialGradient, 'initial-state gradient'), offset: 0 };
  }

  private get relu(): boolean {
    return this.setting.config.nonlinearity === 'relu';
  }

  recordForward(plan: DispatchPlan, input: LayerInput): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    const S = this.stateSize;
    // All T input projections at once, into slots 1..T.
    this.recordInputProjection(plan, input, { buffer: this.hiddenStates, offset: S }, this.biasOffsets);
    for (let t = 0; t < T; t++) {
      kernels.rnnStepForward(
        plan,
        { parameters, weightOffset: this.at('weight_hh'), states: this.hiddenStates, sourceOffset: t * S, targetOffset: (t + 1) * S, batch: B, hiddenSize: config.hiddenSize, relu: this.relu },
        `layer ${layer} forward t=${t}`,
      );
    }
  }

  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    const S = this.stateSize;
    for (let t = T - 1; t >= 0; t--) {
      kernels.rnnStepBackward(
        plan,
        {
          parameters,
          weightOffset: this.at('weight_hh'),
          states: this.stateGradients,
          sourceOffset: (t + 2) * S,
          targetOffset: (t + 1) * S,
          saved: { buffer: this.hiddenStates, offset: (t + 1) * S },
          batch: B,
          hiddenSize: config.hiddenSize,
          relu: this.relu,
        },
        `layer ${layer} backward t=${t}`,
      );
    }
    const dPreactivations = { buffer: this.stateGradients, offset: S };
    // dL/dh_{−1} = dA_0 W_hh
    this.recordRecurrentStateGradient(plan, dPreactivations, 0, false, this.initialStateGradient);
    this.recordRecurrentWeightGradient(plan, dPreactivations);
    this.recordInputWeightAndBiasGradients(plan, input, dPreactivations, this.biasOffsets);
    if (inputGradient) this.recordInputGradient(plan, input, dPreactivations, inputGradient);
  }

  zeroBeforeBackward() {
    return [];
  }
}
