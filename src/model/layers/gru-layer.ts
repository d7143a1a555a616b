/**
 * GRU layer: per step one recurrent matmul a_h = h_{t−1} W_hhᵀ + b_hh and one
 * fused cell dispatch (gru_cell.wgsl), each way. The input part a_x = W_ih x_t + b_ih
 * is projected for all steps at once and kept apart from a_h, since the reset gate
 * multiplies a_hn (b_hn included) alone.
 *   saved buffer: a_x (then r, z, n) [T, B, 3H], then a_h [T, B, 3H]
 *   work buffer:  dL/da_x [T, B, 3H], then dL/da_h [T, B, 3H]
 */
import type { BufferSlice, DispatchPlan } from '../../kernels/dispatch-plan.ts';
import { type LayerInput, type LayerSetting, RecurrentLayer } from './recurrent-layer.ts';

export class GruLayer extends RecurrentLayer {
  private readonly saved: GPUBuffer;
  private readonly workBuffer: GPUBuffer | undefined;
  /** Where the recurrent parts start in `saved` and `work`. */
  private readonly recurrentOffset: number;

  constructor(setting: LayerSetting) {
    super(setting, setting.timeSteps + 1);
    const { timeSteps: T, batchSize: B, config, layer } = setting;
    const partElements = T * B * 3 * config.hiddenSize;
    this.recurrentOffset = partElements;
    this.saved = this.buffer(`layer ${layer} GRU gate parts`, 2 * partElements);
    this.workBuffer = this.gradientBuffer(`layer ${layer} GRU gate-part gradients`, 2 * partElements);
  }

  private get work(): GPUBuffer {
    return this.required(this.workBuffer, 'gate gradients');
  }

  private partAt(t: number): number {
    return t * 3 * this.stateSize;
  }

  recordForward(plan: DispatchPlan, input: LayerInput): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    const H = config.hiddenSize;
    const S = this.stateSize;
    this.recordInputProjection(plan, input, { buffer: this.saved, offset: 0 }, [this.at('bias_ih')]);
    for (let t = 0; t < T; t++) {
      // a_h = h_{t−1} W_hhᵀ + b_hh
      kernels.matmul(
        plan,
        {
          a: { buffer: this.hiddenStates, offset: t * S },
          b: { buffer: parameters, offset: this.at('weight_hh') },
          transposeB: true,
          c: { buffer: this.saved, offset: this.recurrentOffset + this.partAt(t) },
          m: B,
          n: 3 * H,
          k: H,
          bias: { buffer: parameters, offsets: [this.at('bias_hh')] },
          sharedB: true,
        },
        `layer ${layer} recurrent product t=${t}`,
      );
      kernels.gruCellForward(
        plan,
        { saved: this.saved, stepStates: this.hiddenStates, batch: B, hiddenSize: H, inputPartOffset: this.partAt(t), recurrentPartOffset: this.recurrentOffset + this.partAt(t), previousOffset: t * S },
        `layer ${layer} GRU cell t=${t}`,
      );
    }
  }

  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void {
    const { kernels, config, timeSteps: T, batchSize: B, layer } = this.setting;
    const H = config.hiddenSize;
    const S = this.stateSize;
    for (let t = T - 1; t >= 0; t--) {
      kernels.gruCellBackward(
        plan,
        {
          saved: this.saved,
          stepStates: this.stateGradients,
          states: this.hiddenStates,
          work: this.work,
          batch: B,
          hiddenSize: H,
          inputPartOffset: this.partAt(t),
          recurrentPartOffset: this.recurrentOffset + this.partAt(t),
          previousOffset: t * S,
          gradientOffset: (t + 1) * S,
        },
        `layer ${layer} GRU cell backward t=${t}`,
      );
      // dL/dh_{t−1} += dL/da_h,t W_hh
      this.recordRecurrentStateGradient(plan, { buffer: this.work, offset: this.recurrentOffset + this.partAt(t) }, t, true);
    }
    const dInputParts = { buffer: this.work, offset: 0 };
    const dRecurrentParts = { buffer: this.work, offset: this.recurrentOffset };
    this.recordRecurrentWeightGradient(plan, dRecurrentParts);
    this.recordBiasGradients(plan, dRecurrentParts, [this.at('bias_hh')]);
    this.recordInputWeightAndBiasGradients(plan, input, dInputParts, [this.at('bias_ih')]);
    if (inputGradient) this.recordInputGradient(plan, input, dInputParts, inputGradient);
  }

  zeroBeforeBackward() {
    // dL/dh_{−1} is only added to (dh ⊙ z, then the recurrent product).
    return [{ buffer: this.stateGradients, offset: 0, size: this.stateSize }];
  }
}
