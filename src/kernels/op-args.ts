/** Arguments of the recurrent-cell and optimizer ops of KernelSet. */
import type { BufferSlice } from './dispatch-plan.ts';

export interface RnnStepArgs {
  /** The nonlinearity: relu instead of tanh. */
  relu?: boolean;
  parameters: GPUBuffer;
  weightOffset: number;
  /** Forward: the hidden-state buffer. Backward: the state-gradient buffer. */
  states: GPUBuffer;
  sourceOffset: number;
  targetOffset: number;
  /** Backward only: the hidden states, and the offset of h_t. */
  saved?: BufferSlice;
  batch: number;
  hiddenSize: number;
  /** Buffers bound as vec4s where H and the offsets allow it (default; kernel-choice.ts multiplesOf4); false forces word loads (tests, benchmarks). */
  vec4?: boolean;
}

export interface LstmCellArgs {
  /** Gates [T, B, 4H] then cell states [T+1, B, H]. */
  saved: GPUBuffer;
  /** Forward: hidden states; backward: their gradients. */
  stepStates: GPUBuffer;
  /** Backward: dGates [T, B, 4H] then cell-state gradients [T+1, B, H]. */
  work?: GPUBuffer;
  batch: number;
  hiddenSize: number;
  gatesOffset: number;
  /** c_{t−1} in `saved`. */
  cellOffset: number;
  /** Forward: h_t; backward: dL/dh_t. */
  hiddenOffset: number;
  /** Backward: dL/dc_t in `work`. */
  cellGradientOffset?: number;
  /** Four hidden units per invocation where H and the offsets allow it (default; kernel-choice.ts cellKernelKey); false forces the word kernel (tests, benchmarks). */
  vec4?: boolean;
}

export interface GruCellArgs {
  /** a_x (then r, z, n) [T, B, 3H] then a_h [T, B, 3H]. */
  saved: GPUBuffer;
  /** Forward: hidden states; backward: their gradients. */
  stepStates: GPUBuffer;
  /** Backward: the hidden states. */
  states?: GPUBuffer;
  /** Backward: dL/da_x [T, B, 3H] then dL/da_h [T, B, 3H]. */
  work?: GPUBuffer;
  batch: number;
  hiddenSize: number;
  inputPartOffset: number;
  recurrentPartOffset: number;
  /** h_{t−1}: forward in `stepStates`, backward in `states`. */
  previousOffset: number;
  /** Backward: dL/dh_t in `stepStates`. */
  gradientOffset?: number;
  /** As LstmCellArgs.vec4. */
  vec4?: boolean;
}
export type OptimizerKernel = 'sgd' | 'adam' | 'rmsprop';

export interface OptimizerBuffers {
  gradients: GPUBuffer;
  parameters: GPUBuffer;
  /** SGD and RMSprop momentum, Adam's m. */
  firstState?: GPUBuffer;
  /** Adam's v, RMSprop's square average. */
  secondState?: GPUBuffer;
}

/** Everything any update reads for step t; each kernel takes its own fields. */
export interface OptimizerStepValues {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β₁ᵗ for step t. */
  biasCorrection1: number;
  /** √(1 − β₂ᵗ) for step t. */
  biasCorrection2Sqrt: number;
  weightDecay: number;
  /** AdamW: weight decay applied to the parameters, not the gradient. */
  decoupled: boolean;
  momentum: number;
  nesterov: boolean;
  alpha: number;
}
