/** The update: gradient norm, clipping and the non-finite guard, then the optimizer step. Installed on KernelSet's prototype (kernel-set.ts). */
import type { BufferSlice, DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import { updateInvocations } from './kernel-choice.ts';
import type { KernelSet } from './kernel-set.ts';
import { GRADIENT_NORM_PARTIALS, normUniforms, optimizerUniforms } from './kernel-uniforms.ts';
import type { OptimizerBuffers, OptimizerKernel, OptimizerStepValues } from './op-args.ts';

export const optimizerOps = {
  /**
   * The gradient norm, clipping (when maxNorm > 0) and the non-finite guard
   * (gradient_norm.wgsl): the norm goes to `normHistory`, and `guard` receives the
   * update's indirect dispatch size for `updateCount` invocations (updateInvocations; 0 when
   * the loss or a gradient is not finite) and the count of skipped steps. Returns the handle whose uniforms name the history
   * slot (normUniforms). `scratch` holds GRADIENT_NORM_SCRATCH words.
   */
  guardedGradientNorm(
    this: KernelSet,
    plan: DispatchPlan,
    args: { gradients: GPUBuffer; count: number; scratch: GPUBuffer; normHistory: GPUBuffer; lossHistory: GPUBuffer; guard: GPUBuffer; maxNorm: number; updateCount: number },
    label: string,
  ): DispatchHandle {
    const uniforms = normUniforms(args.count, args.maxNorm, 0, this.updateGrid(args.updateCount));
    plan.add(this.kernel('sumSquaresPartial'), { gradients: args.gradients, scratch: args.scratch }, uniforms, [GRADIENT_NORM_PARTIALS / this.reductionSize], `${label}: partial sums of squares`);
    const finish = plan.add(this.kernel('finishNorm'), { lossHistory: args.lossHistory, scratch: args.scratch, normHistory: args.normHistory, guard: args.guard }, uniforms, [1], `${label}: norm, clip coefficient and guard`);
    if (args.maxNorm > 0) {
      plan.add(this.kernel('scaleGradients'), { scratch: args.scratch, gradients: args.gradients }, uniforms, this.elementwiseGrid(args.count), `${label}: clip`);
    }
    return finish;
  },

  /**
   * One optimizer step over the flat parameter buffer (see sgd.wgsl, adam.wgsl, rmsprop.wgsl);
   * with `indirect`, its workgroup count is read there (the non-finite guard sets 0 to skip it).
   */
  optimizerUpdate(this: KernelSet, plan: DispatchPlan, type: OptimizerKernel, buffers: OptimizerBuffers, values: OptimizerStepValues, label: string, indirect?: BufferSlice): DispatchHandle {
    const { gradients, parameters, firstState, secondState } = buffers;
    const uniforms = optimizerUniforms(type, values);
    const grid = indirect ?? this.elementwiseGrid(updateInvocations(type, values.count));
    // Without momentum, SGD and RMSprop have no momentum buffer (the binding is declared unusedWhen 'momentum is 0').
    if (type !== 'adam' && values.momentum !== 0 && !firstState) throw new Error(`${label}: ${type} with momentum needs its momentum buffer (firstState)`);
    switch (type) {
      case 'sgd':
        return plan.add(this.kernel('sgdUpdate'), { gradients, parameters, momentumBuffer: firstState }, uniforms, grid, label);
      case 'rmsprop':
        if (!secondState) throw new Error(`${label}: RMSprop needs its square averages (secondState)`);
        return plan.add(this.kernel('rmspropUpdate'), { gradients, parameters, squareAverage: secondState, momentumBuffer: firstState }, uniforms, grid, label);
      case 'adam':
        if (!firstState || !secondState) throw new Error(`${label}: Adam needs both moments (firstState, secondState)`);
        return plan.add(this.kernel('adamUpdate'), { gradients, parameters, firstMoment: firstState, secondMoment: secondState }, uniforms, grid, label);
    }
  },
};
