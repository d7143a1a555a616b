/**
 * The training step for one batch shape (T time steps, B sequences), recorded
 * once as a dispatch plan: forward over t = 0..T−1, the head and the loss,
 * backpropagation through time over t = T−1..0, then the optimizer update.
 *
 * Buffers of the shape:
 *   hiddenStates [T+1, B, H]  slot 0 = h_{−1} (initial state), slot t+1 = h_t
 *   logits       [T·B, V]     overwritten by dL/dlogits in the loss
 *   dStates      [T+1, B, H]  slot t = dL/dh_t from the head, then dA_t = dL/d(pre-activation t);
 *                             slot T stays zero (nothing flows back from beyond the sequence)
 */
import { createStorageBuffer } from '../device/buffers.ts';
import { DispatchPlan, type DispatchHandle } from '../kernels/dispatch-plan.ts';
import { adamUniforms, type AdamUniformValues, type KernelSet, meanLossUniforms, sgdUniforms } from '../kernels/kernel-set.ts';
import type { ResolvedConfig } from './config.ts';
import type { ModelBuffers } from './model-buffers.ts';
import type { ParameterLayout } from './parameter-layout.ts';

export type PlanPart = 'forward' | 'loss' | 'backward' | 'update';

export interface SequenceBuffers {
  /** Token ids (u32) or dense inputs (f32), time-major. */
  inputs: GPUBuffer;
  targets: GPUBuffer;
  hiddenStates: GPUBuffer;
  logits: GPUBuffer;
  rowLosses: GPUBuffer;
  dStates: GPUBuffer;
}

export class SequencePlan {
  readonly timeSteps: number;
  readonly batchSize: number;
  readonly buffers: SequenceBuffers;
  private readonly plan: DispatchPlan;
  private readonly parts: Record<PlanPart, [number, number]>;
  private readonly lossHandle: DispatchHandle;
  private readonly optimizerHandle: DispatchHandle;
  private readonly optimizerKind: 'sgd' | 'adam';

  constructor(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, model: ModelBuffers, timeSteps: number, batchSize: number) {
    const device = kernels.device;
    const T = timeSteps;
    const B = batchSize;
    const { hiddenSize: H, outputSize: V, inputSize: I } = config;
    const BH = B * H;
    const TB = T * B;
    this.timeSteps = T;
    this.batchSize = B;
    const shape = `T=${T} B=${B}`;
    this.buffers = {
      inputs: createStorageBuffer(device, `inputs ${shape}`, config.inputKind === 'tokens' ? TB : TB * I),
      targets: createStorageBuffer(device, `targets ${shape}`, TB),
      hiddenStates: createStorageBuffer(device, `hidden states ${shape}`, (T + 1) * BH),
      logits: createStorageBuffer(device, `logits ${shape}`, TB * V),
      rowLosses: createStorageBuffer(device, `row losses ${shape}`, TB),
      dStates: createStorageBuffer(device, `state gradients ${shape}`, (T + 1) * BH),
    };
    const { inputs, targets, hiddenStates, logits, rowLosses, dStates } = this.buffers;
    const parameters = model.parameters;
    const gradients = model.gradients;
    const at = (name: string) => layout.byName[name].offset;
    const plan = new DispatchPlan(device, `training step ${shape}`);
    this.plan = plan;
    const mark = () => plan.dispatchCount;

    // ---- forward ----
    const forwardStart = mark();
    // Input projection for all T steps at once, into slots 1..T: W_ih x_t + b_ih + b_hh
    if (config.inputKind === 'tokens') {
      kernels.embeddingForward(
        plan,
        { tokens: inputs, parameters, weightOffset: at('weight_ih_l0'), biasOffsets: [at('bias_ih_l0'), at('bias_hh_l0')], output: { buffer: hiddenStates, offset: BH }, rows: TB, hidden: H, vocabulary: I },
        'input projection (token gather)',
      );
    } else {
      kernels.matmul(
        plan,
        { a: { buffer: inputs, offset: 0 }, b: { buffer: parameters, offset: at('weight_ih_l0') }, transposeB: true, c: { buffer: hiddenStates, offset: BH }, m: TB, n: H, k: I, bias: { buffer: parameters, offsets: [at('bias_ih_l0'), at('bias_hh_l0')] } },
        'input projection',
      );
    }
    for (let t = 0; t < T; t++) {
      // h_t = tanh(slot[t+1] + h_{t−1} W_hhᵀ)
      kernels.rnnStepForward(
        plan,
        { parameters, weightOffset: at('weight_hh_l0'), states: hiddenStates, sourceOffset: t * BH, targetOffset: (t + 1) * BH, batch: B, hidden: H },
        `forward step t=${t}`,
      );
    }
    // Head for all T steps at once: y_t = h_t W_yᵀ + b_y
    kernels.matmul(
      plan,
      { a: { buffer: hiddenStates, offset: BH }, b: { buffer: parameters, offset: at('weight') }, transposeB: true, c: { buffer: logits, offset: 0 }, m: TB, n: V, k: H, bias: { buffer: parameters, offsets: [at('bias')] } },
      'head',
    );

    // ---- loss: row losses and dL/dlogits in place; mean into the loss history ----
    const lossStart = mark();
    kernels.softmaxCrossEntropy(plan, { targets, logits: { buffer: logits, offset: 0 }, rowLosses, rows: TB, classes: V }, 'softmax cross-entropy');
    this.lossHandle = kernels.meanLoss(plan, { buffer: rowLosses, offset: 0 }, TB, { buffer: model.lossHistory, offset: 0 }, 'mean loss');

    // ---- backward (gradients accumulate into the zeroed gradient buffer) ----
    const backwardStart = mark();
    // dW_y += dYᵀ · H ;  db_y += Σ_rows dY
    kernels.matmul(
      plan,
      { a: { buffer: logits, offset: 0 }, transposeA: true, b: { buffer: hiddenStates, offset: BH }, c: { buffer: gradients, offset: at('weight') }, m: V, n: H, k: TB, accumulate: true },
      'head weight gradient',
    );
    kernels.columnSums(plan, { buffer: logits, offset: 0 }, TB, V, { buffer: gradients, offsets: [at('bias')] }, 'head bias gradient');
    // dL/dh_t from the head, all steps at once: dY · W_y, into slots 0..T−1
    kernels.matmul(
      plan,
      { a: { buffer: logits, offset: 0 }, b: { buffer: parameters, offset: at('weight') }, c: { buffer: dStates, offset: 0 }, m: TB, n: H, k: V },
      'hidden-state gradient from the head',
    );
    for (let t = T - 1; t >= 0; t--) {
      // dA_t = (dL/dh_t + dA_{t+1} W_hh) ⊙ (1 − h_t²)
      kernels.rnnStepBackward(
        plan,
        { parameters, weightOffset: at('weight_hh_l0'), states: dStates, sourceOffset: (t + 1) * BH, targetOffset: t * BH, saved: { buffer: hiddenStates, offset: (t + 1) * BH }, batch: B, hidden: H },
        `backward step t=${t}`,
      );
    }
    // Weight gradients summed over all T steps at once: dW_hh += Σ_t dA_tᵀ h_{t−1}
    kernels.matmul(
      plan,
      { a: { buffer: dStates, offset: 0 }, transposeA: true, b: { buffer: hiddenStates, offset: 0 }, c: { buffer: gradients, offset: at('weight_hh_l0') }, m: H, n: H, k: TB, accumulate: true },
      'recurrent weight gradient',
    );
    // dW_ih += Σ_t dA_tᵀ x_t
    if (config.inputKind === 'tokens') {
      kernels.embeddingBackward(
        plan,
        { tokens: inputs, dPreactivations: { buffer: dStates, offset: 0 }, gradients, weightOffset: at('weight_ih_l0'), rows: TB, hidden: H, vocabulary: I },
        'input weight gradient (token scatter)',
      );
    } else {
      kernels.matmul(
        plan,
        { a: { buffer: dStates, offset: 0 }, transposeA: true, b: { buffer: inputs, offset: 0 }, c: { buffer: gradients, offset: at('weight_ih_l0') }, m: H, n: I, k: TB, accumulate: true },
        'input weight gradient',
      );
    }
    // db_ih = db_hh += Σ_t Σ_b dA_t
    kernels.columnSums(plan, { buffer: dStates, offset: 0 }, TB, H, { buffer: gradients, offsets: [at('bias_ih_l0'), at('bias_hh_l0')] }, 'recurrent bias gradients');

    // ---- update ----
    const updateStart = mark();
    this.optimizerKind = config.optimizer.type;
    // Learning rate and bias corrections are set before each step (setOptimizerValues).
    const notYetSet = { count: layout.totalLength, learningRate: 0, beta1: 0, beta2: 0, epsilon: 1, biasCorrection1: 1, biasCorrection2Sqrt: 1 };
    this.optimizerHandle =
      this.optimizerKind === 'adam'
        ? kernels.adamUpdate(plan, { gradients, parameters, firstMoment: model.firstMoment!, secondMoment: model.secondMoment! }, notYetSet, 'Adam update')
        : kernels.sgdUpdate(plan, { gradients, parameters }, notYetSet, 'SGD update');
    const end = mark();

    this.parts = {
      forward: [forwardStart, lossStart],
      loss: [lossStart, backwardStart],
      backward: [backwardStart, updateStart],
      update: [updateStart, end],
    };
    plan.build();
  }

  get dispatchCount(): number {
    return this.plan.dispatchCount;
  }

  /** Dispatches in one part of the plan. */
  partSize(part: PlanPart): number {
    const [from, to] = this.parts[part];
    return to - from;
  }

  /** Points the mean-loss dispatch at the loss-history element of this step. */
  setLossSlot(slot: number): void {
    const rows = this.timeSteps * this.batchSize;
    this.plan.updateUniforms(this.lossHandle, meanLossUniforms(0, rows, slot));
  }

  /** Sets the update's uniforms for the coming step (SGD uses count and learning rate only). */
  setOptimizerValues(values: AdamUniformValues): void {
    this.plan.updateUniforms(this.optimizerHandle, this.optimizerKind === 'adam' ? adamUniforms(values) : sgdUniforms(values));
  }

  /** Records the given parts, in plan order, into the pass. */
  encode(pass: GPUComputePassEncoder, parts: readonly PlanPart[]): void {
    for (const part of ['forward', 'loss', 'backward', 'update'] as const) {
      if (parts.includes(part)) this.plan.encode(pass, ...this.parts[part]);
    }
  }

  destroy(): void {
    this.plan.destroy();
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
  }
}
