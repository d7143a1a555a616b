/** The per-step recurrent ops: the fused RNN step (on the register-tile core) and the LSTM and GRU cells. Installed on KernelSet's prototype (kernel-set.ts). */
import type { DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import type { KernelSet } from './kernel-set.ts';
import { cellKernelKey } from './kernel-choice.ts';
import { gruUniforms } from './kernel-uniforms.ts';
import { matmulGrid, RNN_STEP_TILE, rnnStepKey } from './matmul-choice.ts';
import type { GruCellArgs, LstmCellArgs, RnnStepArgs } from './op-args.ts';
import { type KernelBuffers, UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

export const recurrentCellOps = {
  /** Forward: states[target] = tanh(states[target] + states[source]·W_hhᵀ) (or relu). */
  rnnStepForward(this: KernelSet, plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    return rnnStep(this, false, plan, { weights: args.parameters, states: args.states }, args, label);
  },

  /** Backward: states[target] = (states[target] + states[source]·W_hh) ⊙ (1 − h_t²) (or ⊙ [h_t > 0]). */
  rnnStepBackward(this: KernelSet, plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    if (!args.saved) throw new Error(`${label}: the backward step needs the saved hidden states`);
    return rnnStep(this, true, plan, { weights: args.parameters, saved: args.saved.buffer, states: args.states }, args, label);
  },

  /** LSTM step t, elementwise: gate activations, c_t and h_t (see lstm_cell.wgsl). */
  lstmCellForward(this: KernelSet, plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    return lstmCell(this, 'lstmCellForward', plan, args, label);
  },

  /** LSTM step t backward: dGates_t and dL/dc_{t−1} from dL/dh_t and dL/dc_t. */
  lstmCellBackward(this: KernelSet, plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    if (!args.work) throw new Error(`${label}: the LSTM backward step needs its gradient buffer`);
    return lstmCell(this, 'lstmCellBackward', plan, args, label);
  },

  /** GRU step t, elementwise: r, z, n and h_t (see gru_cell.wgsl). */
  gruCellForward(this: KernelSet, plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    const key = cellKernelKey('gruCellForward', args.hiddenSize, [args.inputPartOffset, args.recurrentPartOffset, args.previousOffset], args.vec4);
    return plan.add(this.kernel(key), { saved: args.saved, stepStates: args.stepStates }, gruUniforms(args, 0), cellGrid(this, key, args), label);
  },

  /** GRU step t backward: dL/da_x, dL/da_h, and dh ⊙ z into dL/dh_{t−1}. */
  gruCellBackward(this: KernelSet, plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    if (!args.states || !args.work || args.gradientOffset === undefined) {
      throw new Error(`${label}: the GRU backward step needs the hidden states, its gradient buffer and the gradient offset`);
    }
    const key = cellKernelKey('gruCellBackward', args.hiddenSize, [args.inputPartOffset, args.recurrentPartOffset, args.previousOffset, args.gradientOffset], args.vec4);
    return plan.add(
      this.kernel(key),
      { states: args.states, saved: args.saved, stepStates: args.stepStates, work: args.work },
      gruUniforms(args, args.gradientOffset),
      cellGrid(this, key, args),
      label,
    );
  },
};

function rnnStep(kernels: KernelSet, backward: boolean, plan: DispatchPlan, buffers: KernelBuffers<'rnnStepForward' | 'rnnStepBackward'>, args: RnnStepArgs, label: string): DispatchHandle {
  return plan.add(
    kernels.kernel(rnnStepKey(backward, args.relu ?? false)),
    buffers,
    packUniforms(L.rnnStep, { batch: args.batch, hiddenSize: args.hiddenSize, weightOffset: args.weightOffset, sourceOffset: args.sourceOffset, targetOffset: args.targetOffset, savedOffset: args.saved?.offset ?? 0 }),
    matmulGrid(RNN_STEP_TILE, args.batch, args.hiddenSize),
    label,
  );
}

function lstmCell(kernels: KernelSet, kernel: 'lstmCellForward' | 'lstmCellBackward', plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
  const offsets = [args.gatesOffset, args.cellOffset, args.hiddenOffset, args.cellGradientOffset ?? 0];
  const key = cellKernelKey(kernel, args.hiddenSize, offsets, args.vec4);
  return plan.add(
    kernels.kernel(key),
    { saved: args.saved, stepStates: args.stepStates, ...(args.work ? { work: args.work } : {}) },
    packUniforms(L.lstmCell, { batch: args.batch, hiddenSize: args.hiddenSize, gatesOffset: args.gatesOffset, cellOffset: args.cellOffset, hiddenOffset: args.hiddenOffset, cellGradientOffset: args.cellGradientOffset ?? 0 }),
    cellGrid(kernels, key, args),
    label,
  );
}

/** One invocation per hidden unit of each batch row, or per four of them for a vec4 variant. */
function cellGrid(kernels: KernelSet, key: string, args: { batch: number; hiddenSize: number }): number[] {
  return kernels.elementwiseGrid((args.batch * args.hiddenSize) / (key.endsWith('Vec4') ? 4 : 1));
}
