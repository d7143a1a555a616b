/** The per-step recurrent ops: the fused RNN step (on the register-tile core) and the LSTM and GRU cells. Installed on KernelSet's prototype (kernel-set.ts). */
import type { DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import type { KernelSet } from './kernel-set.ts';
import { type CellKernel, cellKernelKey, multiplesOf4 } from './kernel-choice.ts';
import { matmulGrid, RNN_STEP_TILE, rnnStepKey } from './matmul-choice.ts';
import type { GruCellArgs, LstmCellArgs, RnnStepArgs } from './op-args.ts';
import { type KernelBuffers, UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms, type UniformLayout } from './uniforms.ts';

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
    return cellDispatch(this, plan, 'lstmCellForward', { saved: args.saved, stepStates: args.stepStates }, L.lstmCell, lstmUniformValues(args), args.vec4, label);
  },

  /** LSTM step t backward: dGates_t and dL/dc_{t−1} from dL/dh_t and dL/dc_t. */
  lstmCellBackward(this: KernelSet, plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    if (!args.work) throw new Error(`${label}: the LSTM backward step needs its gradient buffer`);
    return cellDispatch(this, plan, 'lstmCellBackward', { saved: args.saved, stepStates: args.stepStates, work: args.work }, L.lstmCell, lstmUniformValues(args), args.vec4, label);
  },

  /** GRU step t, elementwise: r, z, n and h_t (see gru_cell.wgsl). */
  gruCellForward(this: KernelSet, plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    return cellDispatch(this, plan, 'gruCellForward', { saved: args.saved, stepStates: args.stepStates }, L.gruCell, gruUniformValues(args, 0), args.vec4, label);
  },

  /** GRU step t backward: dL/da_x, dL/da_h, and dh ⊙ z into dL/dh_{t−1}. */
  gruCellBackward(this: KernelSet, plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    if (!args.states || !args.work || args.gradientOffset === undefined) {
      throw new Error(`${label}: the GRU backward step needs the hidden states, its gradient buffer and the gradient offset`);
    }
    const buffers = { states: args.states, saved: args.saved, stepStates: args.stepStates, work: args.work };
    return cellDispatch(this, plan, 'gruCellBackward', buffers, L.gruCell, gruUniformValues(args, args.gradientOffset), args.vec4, label);
  },
};

function rnnStep(kernels: KernelSet, backward: boolean, plan: DispatchPlan, buffers: KernelBuffers<'rnnStepForward' | 'rnnStepBackward'>, args: RnnStepArgs, label: string): DispatchHandle {
  const uniforms = { batch: args.batch, hiddenSize: args.hiddenSize, weightOffset: args.weightOffset, sourceOffset: args.sourceOffset, targetOffset: args.targetOffset, savedOffset: args.saved?.offset ?? 0 };
  const vec4 = (args.vec4 ?? true) && multiplesOf4([uniforms.hiddenSize, uniforms.weightOffset, uniforms.sourceOffset, uniforms.targetOffset, uniforms.savedOffset]);
  return plan.add(kernels.kernel(rnnStepKey(backward, args.relu ?? false, vec4)), buffers, packUniforms(L.rnnStep, uniforms), matmulGrid(RNN_STEP_TILE, args.batch, args.hiddenSize), label);
}

function lstmUniformValues(args: LstmCellArgs) {
  return { batch: args.batch, hiddenSize: args.hiddenSize, gatesOffset: args.gatesOffset, cellOffset: args.cellOffset, hiddenOffset: args.hiddenOffset, cellGradientOffset: args.cellGradientOffset ?? 0 };
}

function gruUniformValues(args: GruCellArgs, gradientOffset: number) {
  return { batch: args.batch, hiddenSize: args.hiddenSize, inputPartOffset: args.inputPartOffset, recurrentPartOffset: args.recurrentPartOffset, previousOffset: args.previousOffset, gradientOffset };
}

/**
 * A cell dispatch on the kernel cellKernelKey picks from its uniform values (H and every offset): one
 * invocation per hidden unit of each batch row, or per four of them for the vec4 variant.
 */
function cellDispatch<K extends CellKernel, Layout extends UniformLayout & { batch: 'u32'; hiddenSize: 'u32' }>(
  kernels: KernelSet,
  plan: DispatchPlan,
  kernel: K,
  buffers: KernelBuffers<K>,
  layout: Layout,
  values: { readonly [field in keyof Layout]: number },
  vec4: boolean | undefined,
  label: string,
): DispatchHandle {
  const { batch, hiddenSize } = values as { batch: number; hiddenSize: number };
  const key = cellKernelKey(kernel, values as { hiddenSize: number; [field: string]: number }, vec4);
  const units = (batch * hiddenSize) / (key === kernel ? 1 : 4);
  return plan.add(kernels.kernel(key), buffers as KernelBuffers<typeof key>, packUniforms(layout, values), kernels.elementwiseGrid(units), label);
}
