// CPU reference (float64) for a one-layer tanh RNN language model. This is the oracle the
// GPU path is tested against: plain loops, PyTorch conventions, proven against finite
// differences in test/reference.test.ts.
//
//   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)      t = 0..T−1, h_{−1} = initialHidden
//   y_t = W_y h_t + b_y                                      (logits)
//   loss = mean over the T·B positions of −log softmax(y_t[b])[target[t, b]]
//
// Data is time-major: position (t, b) is row t·B + b.
import { addInPlace } from './linear-algebra.ts';
import { linearBackward, linearForward, tokenLinearBackward, tokenLinearForward } from './linear.ts';
import {
  checkDims,
  checkParameters,
  zeroGradients,
  type ReferenceDims,
  type ReferenceParameters,
} from './parameters.ts';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax-cross-entropy.ts';
import { tanhBackward, tanhForward } from './tanh.ts';
import { checkIndices, checkLength, checkPositiveInteger } from './validation.ts';

export interface ReferenceBatch {
  timeSteps: number; // T
  batchSize: number; // B
  /** [T·B] token ids in [0, inputSize), index t·B + b. Give this or `inputs`. */
  inputTokens?: ArrayLike<number>;
  /** [T·B·I] dense inputs, index (t·B + b)·I + i. Give this or `inputTokens`. */
  inputs?: ArrayLike<number>;
  /** [T·B] class ids in [0, outputSize), index t·B + b. */
  targets: ArrayLike<number>;
  /** [B·H] h_{−1}; zero if absent. */
  initialHidden?: ArrayLike<number>;
}

export interface ReferenceForward {
  hiddenStates: Float64Array; // [(T+1)·B·H]; slot 0 = initial state, slot t+1 = h_t
  logits: Float64Array; // [T·B·V]
  loss: number; // mean cross-entropy over the T·B positions
  finalHidden: Float64Array; // [B·H] = h_{T−1}
}

function checkBatch(dims: ReferenceDims, batch: ReferenceBatch): void {
  const { timeSteps: T, batchSize: B } = batch;
  checkPositiveInteger('batch.timeSteps', T);
  checkPositiveInteger('batch.batchSize', B);
  const { inputSize: I, hiddenSize: H, outputSize: V } = dims;
  const positions = `timeSteps·batchSize = ${T}·${B}`;
  if ((batch.inputTokens === undefined) === (batch.inputs === undefined)) {
    const given = batch.inputTokens === undefined ? 'neither was given' : 'both were given';
    throw new Error(`batch needs exactly one of batch.inputTokens and batch.inputs, but ${given}`);
  }
  if (batch.inputTokens !== undefined) {
    checkLength('batch.inputTokens', batch.inputTokens, T * B, positions);
    checkIndices('batch.inputTokens', batch.inputTokens, I, 'token id (dims.inputSize is the vocabulary size)');
  }
  if (batch.inputs !== undefined) {
    checkLength('batch.inputs', batch.inputs, T * B * I, `timeSteps·batchSize·inputSize = ${T}·${B}·${I}`);
  }
  checkLength('batch.targets', batch.targets, T * B, positions);
  checkIndices('batch.targets', batch.targets, V, 'class index (dims.outputSize)');
  if (batch.initialHidden !== undefined) {
    checkLength('batch.initialHidden', batch.initialHidden, B * H, `batchSize·hiddenSize = ${B}·${H}`);
  }
}

function checkForward(dims: ReferenceDims, batch: ReferenceBatch, forward: ReferenceForward): void {
  const { timeSteps: T, batchSize: B } = batch;
  const { hiddenSize: H, outputSize: V } = dims;
  checkLength('forward.hiddenStates', forward.hiddenStates, (T + 1) * B * H, `(timeSteps+1)·batchSize·hiddenSize = ${T + 1}·${B}·${H}`);
  checkLength('forward.logits', forward.logits, T * B * V, `timeSteps·batchSize·outputSize = ${T}·${B}·${V}`);
}

export function rnnForward(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): ReferenceForward {
  checkDims(dims);
  checkParameters('params', params, dims);
  checkBatch(dims, batch);
  const { timeSteps: T, batchSize: B } = batch;
  const { inputSize: I, hiddenSize: H, outputSize: V } = dims;
  const N = T * B; // positions
  const BH = B * H; // one time step of hidden state

  // Input projections for all time steps, lifted out of the loop: U[t·B+b] = W_ih x_t[b] + b_ih
  const inputProjections =
    batch.inputTokens !== undefined
      ? tokenLinearForward(batch.inputTokens, params.weight_ih_l0, params.bias_ih_l0, N, I, H)
      : linearForward(batch.inputs!, params.weight_ih_l0, params.bias_ih_l0, N, I, H);

  const hiddenStates = new Float64Array((T + 1) * BH);
  if (batch.initialHidden !== undefined) hiddenStates.set(batch.initialHidden);
  for (let t = 0; t < T; t++) {
    const previousHidden = hiddenStates.subarray(t * BH, (t + 1) * BH);
    // a_t = W_hh h_{t−1} + b_hh + U_t
    const preactivations = linearForward(previousHidden, params.weight_hh_l0, params.bias_hh_l0, B, H, H);
    addInPlace(preactivations, inputProjections.subarray(t * BH, (t + 1) * BH));
    // h_t = tanh(a_t)
    hiddenStates.set(tanhForward(preactivations), (t + 1) * BH);
  }

  // Head over all time steps, lifted out of the loop: y = W_y h + b_y
  const hiddenOutputs = hiddenStates.subarray(BH); // h_0..h_{T−1}, [N, H]
  const logits = linearForward(hiddenOutputs, params.weight, params.bias, N, H, V);
  const { loss } = softmaxCrossEntropyForward(logits, batch.targets, N, V);
  const finalHidden = hiddenStates.slice(T * BH);
  return { hiddenStates, logits, loss, finalHidden };
}

/** Backpropagation through time over t = T−1..0; ADDS dLoss/dθ into `gradients`. */
export function rnnBackward(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
  forward: ReferenceForward,
  gradients: ReferenceParameters,
): void {
  checkDims(dims);
  checkParameters('params', params, dims);
  checkParameters('gradients', gradients, dims);
  checkBatch(dims, batch);
  checkForward(dims, batch, forward);
  const { timeSteps: T, batchSize: B } = batch;
  const { inputSize: I, hiddenSize: H, outputSize: V } = dims;
  const N = T * B;
  const BH = B * H;
  const { hiddenStates } = forward;
  const hiddenInputs = hiddenStates.subarray(0, N * H); // h_{−1}..h_{T−2}, [N, H]
  const hiddenOutputs = hiddenStates.subarray(BH); // h_0..h_{T−1}, [N, H]

  // Head: dy = (softmax(y) − onehot(target)) / N;  dW_y += dyᵀ h;  db_y += Σ dy;  dh_t = dy W_y
  const dLogits = softmaxCrossEntropyBackward(forward.logits, batch.targets, N, V);
  const dHiddenStates = new Float64Array((T + 1) * BH); // same slots as hiddenStates
  linearBackward(dLogits, hiddenOutputs, params.weight, N, H, V, {
    dInput: dHiddenStates.subarray(BH),
    dWeight: gradients.weight,
    dBias: gradients.bias,
  });

  const dPreactivations = new Float64Array(N * H);
  for (let t = T - 1; t >= 0; t--) {
    const hidden = hiddenStates.subarray((t + 1) * BH, (t + 2) * BH);
    const previousHidden = hiddenStates.subarray(t * BH, (t + 1) * BH);
    // da_t = dh_t ⊙ (1 − h_t²), where dh_t already holds the head's and step t+1's contributions
    const dPreactivation = tanhBackward(dHiddenStates.subarray((t + 1) * BH, (t + 2) * BH), hidden);
    dPreactivations.set(dPreactivation, t * BH);
    // dh_{t−1} += da_t W_hh
    linearBackward(dPreactivation, previousHidden, params.weight_hh_l0, B, H, H, {
      dInput: dHiddenStates.subarray(t * BH, (t + 1) * BH),
    });
  }

  // Weight gradients over all time steps, lifted out of the loop:
  // dW_hh += Σ_t da_tᵀ h_{t−1};  db_hh += Σ_t da_t;  dW_ih += Σ_t da_tᵀ x_t;  db_ih += Σ_t da_t
  linearBackward(dPreactivations, hiddenInputs, params.weight_hh_l0, N, H, H, {
    dWeight: gradients.weight_hh_l0,
    dBias: gradients.bias_hh_l0,
  });
  const inputGradients = { dWeight: gradients.weight_ih_l0, dBias: gradients.bias_ih_l0 };
  if (batch.inputTokens !== undefined) {
    tokenLinearBackward(dPreactivations, batch.inputTokens, N, I, H, inputGradients);
  } else {
    linearBackward(dPreactivations, batch.inputs!, params.weight_ih_l0, N, I, H, inputGradients);
  }
}

/** Forward, then backward into fresh zero gradients. */
export function rnnLossAndGradients(
  params: ReferenceParameters,
  dims: ReferenceDims,
  batch: ReferenceBatch,
): {
  loss: number;
  gradients: ReferenceParameters;
  finalHidden: Float64Array;
  logits: Float64Array;
  hiddenStates: Float64Array;
} {
  const forward = rnnForward(params, dims, batch);
  const gradients = zeroGradients(dims);
  rnnBackward(params, dims, batch, forward, gradients);
  const { loss, finalHidden, logits, hiddenStates } = forward;
  return { loss, gradients, finalHidden, logits, hiddenStates };
}
