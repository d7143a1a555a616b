/**
 * LSTM layer: per step one recurrent matmul into the gate pre-activations and one
 * fused cell dispatch (lstm_cell.wgsl), each way.
 *   saved buffer: gates [T, B, 4H] (pre-activations, then activations), then cell states [T+1, B, H]
 *   work buffer:  dGates [T, B, 4H], then cell-state gradients [T+1, B, H]
 */
import type { BufferSlice, DispatchPlan } from '../../kernels/dispatch-plan.ts';
import { type LayerInput, type LayerSetting, RecurrentLayer } from './recurrent-layer.ts';

export class LstmLayer extends RecurrentLayer {
  private readonly saved: GPUBuffer;
  private readonly workBuffer: GPUBuffer | undefined;
  private readonly cellsOffset: number;

  constructor(setting: LayerSetting) {
    super(setting, setting.timeSteps + 1);
    const { timeSteps: T, batchSize: B, config, layer } = setting;
    const gateElements = T * B * 4 * config.hiddenSize;
    const cellElements = (T + 1) * B * config.hiddenSize;
    this.cellsOffset = gateElements;
    this.saved = this.buffer(`layer ${layer} LSTM gates and cell states`, gateElements + cellElements);
    this.workBuffer = this.gradientBuffer(`layer ${layer} LSTM gate and cell-state gradients`, gateElements + cellElements);
    this.cellStates = { buffer: this.saved, offset: this.cellsOffset };
    if (this.workBuffer) this.cellGradients = { buffer: this.workBuffer, offset: this.cellsOffset };
  }

  private get work(): GPUBuffer {
    return this.required(this.workBuffer, 'gate gradients');
  }

  private gatesAt(t: number): number {
    return t * 4 * this.stateSize;
  }

  recordForward(plan: DispatchPlan, input: LayerInput): void {
    const { kernels, config, parameters, timeSteps: T, batchSize: B, layer } = this.setting;
    const H = config.hiddenSize;
    const S = this.stateSize;
    // a_t = W_ih x_t + b_ih + b_hh for all T steps at once.
    this.recordInputProjection(plan, input, { buffer: this.saved, offset: 0 }, this.biasOffsets);
    for (let t = 0; t < T; t++) {
      // a_t += h_{t−1} W_hhᵀ
      kernels.matmul(
        plan,
        { a: { buffer: this.hiddenStates, offset: t * S }, b: { buffer: parameters, offset: this.at('weight_hh') }, transposeB: true, c: { buffer: this.saved, offset: this.gatesAt(t) }, m: B, n: 4 * H, k: H, accumulate: true, sharedB: true },
        `layer ${layer} recurrent product t=${t}`,
      );
      kernels.lstmCellForward(
        plan,
        { saved: this.saved, stepStates: this.hiddenStates, batch: B, hiddenSize: H, gatesOffset: this.gatesAt(t), cellOffset: this.cellsOffset + t * S, hiddenOffset: (t + 1) * S },
        `layer ${layer} LSTM cell t=${t}`,
      );
    }
  }

  recordBackward(plan: DispatchPlan, input: LayerInput, inputGradient: BufferSlice | undefined): void {
    const { kernels, config, timeSteps: T, batchSize: B, layer } = this.setting;
    const H = config.hiddenSize;
    const S = this.stateSize;
    for (let t = T - 1; t >= 0; t--) {
      kernels.lstmCellBackward(
        plan,
        {
          saved: this.saved,
          stepStates: this.stateGradients,
          work: this.work,
          batch: B,
          hiddenSize: H,
          gatesOffset: this.gatesAt(t),
          cellOffset: this.cellsOffset + t * S,
          hiddenOffset: (t + 1) * S,
          cellGradientOffset: this.cellsOffset + (t + 1) * S,
        },
        `layer ${layer} LSTM cell backward t=${t}`,
      );
      // dL/dh_{t−1} += dGates_t W_hh
      this.recordRecurrentStateGradient(plan, { buffer: this.work, offset: this.gatesAt(t) }, t, true);
    }
    const dGates = { buffer: this.work, offset: 0 };
    this.recordRecurrentWeightGradient(plan, dGates);
    this.recordInputWeightAndBiasGradients(plan, input, dGates, this.biasOffsets);
    if (inputGradient) this.recordInputGradient(plan, input, dGates, inputGradient);
  }

  zeroBeforeBackward() {
    // dL/dh_{−1} is only added to; dL/dc_T (slot T of the cell gradients) is never written.
    return [
      { buffer: this.stateGradients, offset: 0, size: this.stateSize },
      { buffer: this.work, offset: this.cellsOffset + this.setting.timeSteps * this.stateSize, size: this.stateSize },
    ];
  }
}
