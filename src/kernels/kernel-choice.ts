/**
 * The choices of kernel that depend on a model's configuration, made once here and
 * called both by the op functions that dispatch them and by kernelsNeededBy (which
 * compiles them), so that the two cannot drift apart.
 */
import type { OptimizerKernel } from './op-args.ts';

/** Up to this many classes, softmax cross-entropy runs one invocation per row; above, one workgroup per row. */
export const PER_ROW_SOFTMAX_MAX_CLASSES = 2048;

/** The softmax cross-entropy kernel for `classes` classes. */
export function crossEntropyKernel(classes: number): 'softmaxCrossEntropyPerRow' | 'softmaxCrossEntropy' {
  return classes <= PER_ROW_SOFTMAX_MAX_CLASSES ? 'softmaxCrossEntropyPerRow' : 'softmaxCrossEntropy';
}

/** The loss kernel of a model: mean squared error, or softmax cross-entropy over `classes` classes. */
export function lossKernel(loss: 'cross-entropy' | 'mse', classes: number): 'meanSquaredError' | ReturnType<typeof crossEntropyKernel> {
  return loss === 'mse' ? 'meanSquaredError' : crossEntropyKernel(classes);
}

/** The update kernel of an optimizer type: AdamW is Adam with decoupled weight decay (adam.wgsl's `decoupled`). */
export function optimizerKernel(type: OptimizerKernel | 'adamw'): OptimizerKernel {
  return type === 'adamw' ? 'adam' : type;
}

/** The pipeline key of an optimizer type's update. */
export function optimizerKernelKey(type: OptimizerKernel | 'adamw'): `${OptimizerKernel}Update` {
  return `${optimizerKernel(type)}Update`;
}
