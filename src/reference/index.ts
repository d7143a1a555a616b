// The float64 CPU reference: the oracle the GPU path is tested against. It imports nothing
// from outside src/reference/.
export * from './validation.ts';
export * from './linear-algebra.ts';
export * from './linear.ts';
export * from './embedding.ts';
export * from './tanh.ts';
export * from './sigmoid.ts';
export * from './softmax-cross-entropy.ts';
export * from './mean-squared-error.ts';
export * from './parameters.ts';
export * from './rnn-step.ts';
export * from './lstm-cell.ts';
export * from './gru-cell.ts';
export * from './rnn.ts';
export * from './optimizers.ts';
export * from './gradient-norm.ts';
export * from './finite-differences.ts';
