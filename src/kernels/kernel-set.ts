/**
 * Every pipeline the engine uses, built once per device, with workgroup sizes
 * taken from the device's limits, and one function per op that adds its
 * dispatch to a plan. Op functions check sizes; they trust buffers to be large
 * enough (the model allocates them from the same sizes).
 */
import { type BufferSlice, type DispatchHandle, type DispatchPlan, gridFor } from './dispatch-plan.ts';
import { crossEntropyKernel } from './kernel-choice.ts';
import { ELEMENTWISE_WORKGROUP, kernelDefinitions, reductionWorkgroupSize } from './kernel-definitions.ts';
import { directionUniforms, dropoutUniforms, embeddingUniforms, GRADIENT_NORM_PARTIALS, gruUniforms, matmulUniforms, meanLossUniforms, mseUniforms, NONE, normUniforms, optimizerUniforms, softmaxUniforms } from './kernel-uniforms.ts';
import { isCpuAdapter, type MatmulArgs, matmulGrid, matmulKChunk, matmulKey, matmulVariant, RNN_STEP_TILE, rnnStepKey } from './matmul-choice.ts';
import type { GruCellArgs, LstmCellArgs, OptimizerBuffers, OptimizerKernel, OptimizerStepValues, RnnStepArgs } from './op-args.ts';
import { type Kernel, pipelineCacheFor } from './pipeline-cache.ts';
import { UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

export * from './kernel-choice.ts';
export * from './kernel-definitions.ts';
export * from './kernel-uniforms.ts';
export * from './matmul-choice.ts';
export type * from './op-args.ts';

export class KernelSet {
  readonly device: GPUDevice;
  readonly reductionSize: number;
  private readonly kernels: Map<string, Kernel>;
  /** 16-byte buffers bound where a kernel's binding is unused by an entry point (two: writable bindings must not alias). */
  readonly placeholder: GPUBuffer;
  readonly secondPlaceholder: GPUBuffer;

  /** The matmul choices of a CPU adapter (isCpuAdapter) or of a GPU. */
  readonly cpuAdapter: boolean;

  private constructor(device: GPUDevice, kernels: Map<string, Kernel>, reductionSize: number) {
    this.device = device;
    this.cpuAdapter = isCpuAdapter((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    this.kernels = kernels;
    this.reductionSize = reductionSize;
    this.placeholder = device.createBuffer({ label: 'unused binding placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.secondPlaceholder = device.createBuffer({ label: 'second unused binding placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /** The kernel set of a device, built on first use and shared by every model on it. */
  static load(device: GPUDevice): Promise<KernelSet> {
    let kernels = kernelSets.get(device);
    if (!kernels) {
      kernels = Promise.resolve(new KernelSet(device, new Map(), reductionWorkgroupSize(device.limits)));
      kernelSets.set(device, kernels);
    }
    return kernels;
  }

  /**
   * Compiles the kernels a model will use (by key; ALL_KERNELS for every one), each once
   * per device: a model pays only for its own pipelines (on CPU adapters each costs a
   * compile of ~0.1–0.3 s).
   */
  async ensure(keys: readonly string[]): Promise<void> {
    const cache = pipelineCacheFor(this.device);
    const definitions = kernelDefinitions(this.reductionSize);
    await Promise.all(
      keys.map(async (key) => {
        if (this.kernels.has(key)) return;
        const definition = definitions.get(key);
        if (!definition) throw new Error(`No kernel named ${key}`);
        this.kernels.set(key, await cache.get(definition[0], definition[1]));
      }),
    );
  }

  private kernel(key: string): Kernel {
    const kernel = this.kernels.get(key);
    if (!kernel) throw new Error(`Kernel ${key} was not compiled: the model's kernel list (kernelsNeededBy) misses it`);
    return kernel;
  }

  private elementwiseGrid(count: number): number[] {
    return gridFor(Math.ceil(count / ELEMENTWISE_WORKGROUP), this.device.limits.maxComputeWorkgroupsPerDimension);
  }

  /** C (=|+=) opA(A)·opB(B) + bias. */
  matmul(plan: DispatchPlan, args: MatmulArgs, label: string): DispatchHandle {
    const { m, n, k } = args;
    for (const [name, value] of Object.entries({ m, n, k })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: matmul ${name} must be a positive integer, got ${value}`);
    }
    const offsets = args.bias?.offsets ?? [];
    if (offsets.length > 2) throw new Error(`${label}: at most two bias vectors, got ${offsets.length}`);
    const variant = args.variant ?? matmulVariant(m, n, k, this.cpuAdapter);
    const transposeA = args.transposeA ?? false;
    const transposeB = args.transposeB ?? false;
    const chunk = transposeA && !transposeB ? (args.kChunk ?? (this.cpuAdapter ? matmulKChunk(m, n, k) : 0)) || k : k;
    const kernel = this.kernel(matmulKey(variant, transposeA, transposeB));
    const buffers = [args.a.buffer, args.b.buffer, args.bias?.buffer ?? this.placeholder, args.c.buffer];
    const grid = matmulGrid(variant, m, n);
    // Σ_k over chunks k0 .. k0 + chunk − 1: rows k0.. of Aᵀ (stored [k, m]) and of B (stored [k, n]).
    let handle = plan.add(kernel, buffers, matmulUniforms(m, n, Math.min(chunk, k), args.a.offset, args.b.offset, args.c.offset, offsets[0] ?? NONE, offsets[1] ?? NONE, args.accumulate ? 1 : 0), grid, label);
    for (let k0 = chunk; k0 < k; k0 += chunk) {
      const rows = Math.min(chunk, k - k0);
      handle = plan.add(kernel, buffers, matmulUniforms(m, n, rows, args.a.offset + k0 * m, args.b.offset + k0 * n, args.c.offset, NONE, NONE, 1), grid, `${label} (k from ${k0})`);
    }
    return handle;
  }

  /** Forward: states[target] = tanh(states[target] + states[source]·W_hhᵀ) (or relu). */
  rnnStepForward(plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    return this.rnnStep(false, plan, args, label);
  }

  /** Backward: states[target] = (states[target] + states[source]·W_hh) ⊙ (1 − h_t²) (or ⊙ [h_t > 0]). */
  rnnStepBackward(plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    if (!args.saved) throw new Error(`${label}: the backward step needs the saved hidden states`);
    return this.rnnStep(true, plan, args, label);
  }

  private rnnStep(backward: boolean, plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel(rnnStepKey(backward, args.relu ?? false)),
      [args.parameters, args.saved?.buffer ?? this.placeholder, args.states],
      packUniforms(L.rnnStep, { batch: args.batch, hidden: args.hidden, weightOffset: args.weightOffset, sourceOffset: args.sourceOffset, targetOffset: args.targetOffset, savedOffset: args.saved?.offset ?? 0 }),
      matmulGrid(RNN_STEP_TILE, args.batch, args.hidden),
      label,
    );
  }

  /** LSTM step t, elementwise: gate activations, c_t and h_t (see lstm_cell.wgsl). */
  lstmCellForward(plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    return this.lstmCell('lstmCellForward', plan, args, label);
  }

  /** LSTM step t backward: dGates_t and dL/dc_{t−1} from dL/dh_t and dL/dc_t. */
  lstmCellBackward(plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    if (!args.work) throw new Error(`${label}: the LSTM backward step needs its gradient buffer`);
    return this.lstmCell('lstmCellBackward', plan, args, label);
  }

  private lstmCell(key: string, plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel(key),
      [args.saved, args.hidden, args.work ?? this.placeholder],
      packUniforms(L.lstmCell, { batch: args.batch, hidden: args.hiddenSize, gatesOffset: args.gatesOffset, cellOffset: args.cellOffset, hiddenOffset: args.hiddenOffset, cellGradientOffset: args.cellGradientOffset ?? 0 }),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /** GRU step t, elementwise: r, z, n and h_t (see gru_cell.wgsl). */
  gruCellForward(plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel('gruCellForward'),
      [this.placeholder, args.saved, args.stepStates, this.secondPlaceholder],
      gruUniforms(args, 0),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /** GRU step t backward: dL/da_x, dL/da_h, and dh ⊙ z into dL/dh_{t−1}. */
  gruCellBackward(plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    if (!args.states || !args.work || args.gradientOffset === undefined) {
      throw new Error(`${label}: the GRU backward step needs the hidden states, its gradient buffer and the gradient offset`);
    }
    return plan.add(
      this.kernel('gruCellBackward'),
      [args.states, args.saved, args.stepStates, args.work],
      gruUniforms(args, args.gradientOffset),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /**
   * The gradient norm, clipping (when maxNorm > 0) and the non-finite guard
   * (gradient_norm.wgsl): the norm goes to `normHistory`, and `guard` receives the
   * update's indirect dispatch size (0 when the loss or a gradient is not finite) and
   * the count of skipped steps. Returns the handle whose uniforms name the history
   * slot (normUniforms). `scratch` holds GRADIENT_NORM_SCRATCH words.
   */
  guardedGradientNorm(
    plan: DispatchPlan,
    args: { gradients: GPUBuffer; count: number; scratch: GPUBuffer; normHistory: GPUBuffer; lossHistory: GPUBuffer; guard: GPUBuffer; maxNorm: number; updateCount: number },
    label: string,
  ): DispatchHandle {
    const uniforms = normUniforms(args.count, args.maxNorm, 0, this.updateGrid(args.updateCount));
    plan.add(this.kernel('sumSquaresPartial'), [args.gradients, args.scratch, this.placeholder, this.secondPlaceholder], uniforms, [GRADIENT_NORM_PARTIALS], `${label}: partial sums of squares`);
    const finish = plan.add(this.kernel('finishNorm'), [args.lossHistory, args.scratch, args.normHistory, args.guard], uniforms, [1], `${label}: norm, clip coefficient and guard`);
    if (args.maxNorm > 0) {
      plan.add(this.kernel('scaleGradients'), [args.scratch, args.gradients, this.placeholder, this.secondPlaceholder], uniforms, this.elementwiseGrid(args.count), `${label}: clip`);
    }
    return finish;
  }

  /** The workgroup grid of an update over `count` parameters. */
  updateGrid(count: number): [number, number] {
    const [x, y = 1] = this.elementwiseGrid(count);
    return [x, y];
  }

  /**
   * Draws a token from one row of logits (sample_token.wgsl), writing it to `nextInput[0]`
   * and appending it to `generated` ([0] counts the tokens drawn).
   */
  sampleToken(
    plan: DispatchPlan,
    args: { logits: BufferSlice; classes: number; nextInput: GPUBuffer; generated: GPUBuffer; topK: number; key: number; temperature: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('sampleToken'),
      [args.logits.buffer, args.nextInput, args.generated],
      packUniforms(L.sampleToken, { classes: args.classes, logitsOffset: args.logits.offset, topK: args.topK, key: args.key >>> 0, inverseTemperature: 1 / args.temperature }),
      [1],
      label,
    );
  }

  /** output = input ⊙ mask over `count` elements (uniforms: dropoutUniforms; set per run). */
  dropoutForward(plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutForward'), [input.buffer, output.buffer], dropoutUniforms(count, 0, 0, input.offset, output.offset), this.elementwiseGrid(count), label);
  }

  /** gradient ⊙= mask over `count` elements, in place. */
  dropoutBackward(plan: DispatchPlan, gradient: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutBackward'), [this.placeholder, gradient.buffer], dropoutUniforms(count, 0, 0, 0, gradient.offset), this.elementwiseGrid(count), label);
  }

  /** output = tanh(input) over `count` elements. */
  tanhForward(plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhForward'),
      [input.buffer, this.placeholder, output.buffer],
      packUniforms(L.tanhElementwise, { count, offsetIn: input.offset, offsetSaved: 0, offsetOut: output.offset }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** dInput = dOutput ⊙ (1 − output²) over `count` elements. */
  tanhBackward(plan: DispatchPlan, dOutput: BufferSlice, output: BufferSlice, dInput: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhBackward'),
      [dOutput.buffer, output.buffer, dInput.buffer],
      packUniforms(L.tanhElementwise, { count, offsetIn: dOutput.offset, offsetSaved: output.offset, offsetOut: dInput.offset }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** out[r, j] = W[j, token[r]] + bias0[j] (+ bias1[j]) for rows r of the token buffer. */
  embeddingForward(
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; biasOffsets: [number] | [number, number]; output: BufferSlice; rows: number; hidden: number; vocabulary: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('embeddingForward'),
      [args.tokens, args.parameters, args.output.buffer],
      embeddingUniforms(args.rows, args.hidden, args.vocabulary, args.weightOffset, args.biasOffsets[0], args.biasOffsets[1] ?? NONE, args.output.offset),
      this.elementwiseGrid(args.rows * args.hidden),
      label,
    );
  }

  /** dW[j, v] += Σ_{r : token[r] = v} dA[r, j]. */
  embeddingBackward(
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; dPreactivations: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; hidden: number; vocabulary: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('embeddingBackward'),
      [args.tokens, args.dPreactivations.buffer, args.gradients],
      embeddingUniforms(args.rows, args.hidden, args.vocabulary, args.weightOffset, 0, 0, args.dPreactivations.offset),
      [Math.ceil(args.hidden / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /** out[r, d] = E[token[r], d]: a learned embedding E [V, D] looked up for every position. */
  embeddingRowsForward(plan: DispatchPlan, args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; output: BufferSlice; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsForward'),
      [args.tokens, args.parameters, args.output.buffer],
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.output.offset),
      this.elementwiseGrid(args.rows * args.width),
      label,
    );
  }

  /** dE[token[r], d] += dX[r, d]. */
  embeddingRowsBackward(plan: DispatchPlan, args: { tokens: GPUBuffer; dInputs: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsBackward'),
      [args.tokens, args.dInputs.buffer, args.gradients],
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.dInputs.offset),
      [Math.ceil(args.width / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /**
   * out[t, b, :] (=|+=) in[rev(t, b), b, :], rev(t, b) = len_b − 1 − t within each sequence's length
   * (lengths: u32 [B]); rows of `width` words, token ids or floats (accumulate adds floats).
   */
  reverseRows(plan: DispatchPlan, args: { lengths: GPUBuffer; input: BufferSlice; output: BufferSlice; timeSteps: number; batch: number; width: number; accumulate: boolean }, label: string): DispatchHandle {
    const count = args.timeSteps * args.batch * args.width;
    return plan.add(
      this.kernel('reverseRows'),
      [args.lengths, args.input.buffer, args.output.buffer],
      packUniforms(L.reverseRows, { timeSteps: args.timeSteps, batch: args.batch, width: args.width, inputOffset: args.input.offset, outputOffset: args.output.offset, accumulate: args.accumulate ? 1 : 0 }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** y[t, b] = [h^fwd_t, h^rev_{rev(t, b)}] [T·B, 2H] from both directions' state buffers (slot s+1 = h_s); uniforms directionUniforms, set per run. */
  joinDirections(plan: DispatchPlan, args: { lengths: GPUBuffer; forwardStates: GPUBuffer; reverseStates: GPUBuffer; joined: BufferSlice; timeSteps: number; batch: number; hidden: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('joinDirections'),
      [args.lengths, args.forwardStates, args.reverseStates, args.joined.buffer],
      directionUniforms(args.timeSteps, args.batch, args.hidden, false, args.joined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * 2 * args.hidden),
      label,
    );
  }

  /** dh^fwd_t = dy[t, b, :H] and dh^rev_s = dy[rev(s, b), b, H:] into slots 1..T of both directions' state gradients. */
  splitDirections(plan: DispatchPlan, args: { lengths: GPUBuffer; dJoined: BufferSlice; forwardGradients: GPUBuffer; reverseGradients: GPUBuffer; timeSteps: number; batch: number; hidden: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('splitDirections'),
      [args.lengths, args.dJoined.buffer, args.forwardGradients, args.reverseGradients],
      directionUniforms(args.timeSteps, args.batch, args.hidden, false, args.dJoined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * args.hidden),
      label,
    );
  }

  /** Row losses and, in place, dLoss/dLogits of the mean softmax cross-entropy (targets IGNORED_TARGET count for nothing). */
  softmaxCrossEntropy(
    plan: DispatchPlan,
    args: { targets: GPUBuffer; logits: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number },
    label: string,
  ): DispatchHandle {
    const key = crossEntropyKernel(args.classes);
    const perRow = key === 'softmaxCrossEntropyPerRow';
    return plan.add(
      this.kernel(key),
      [args.targets, args.logits.buffer, args.rowLosses],
      softmaxUniforms(args.rows, args.classes, args.logits.offset, args.rows),
      perRow ? this.elementwiseGrid(args.rows) : gridFor(args.rows, this.device.limits.maxComputeWorkgroupsPerDimension),
      label,
    );
  }

  /** Row losses Σ_v (y − t)² and, in place, dL/dy of the mean over counted rows (see mean_squared_error.wgsl). */
  meanSquaredError(
    plan: DispatchPlan,
    args: { targetValues: GPUBuffer; rowFlags: GPUBuffer; outputs: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('meanSquaredError'),
      [args.targetValues, args.rowFlags, args.outputs.buffer, args.rowLosses],
      mseUniforms(args.rows, args.classes, args.outputs.offset, args.rows),
      this.elementwiseGrid(args.rows),
      label,
    );
  }

  /** output[o + j] += Σ_r input[r, j] (to each of one or two output offsets). */
  columnSums(plan: DispatchPlan, input: BufferSlice, rows: number, cols: number, output: { buffer: GPUBuffer; offsets: number[] }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('columnSums'),
      [input.buffer, output.buffer],
      packUniforms(L.reduce, { rows, cols, inputOffset: input.offset, outputOffset0: output.offsets[0], outputOffset1: output.offsets[1] ?? NONE, scale: 1 }),
      [Math.ceil(cols / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /** output[slot] = scale · Σ_r input[r]; returns the handle so the slot can move each step. */
  meanLoss(plan: DispatchPlan, input: BufferSlice, rows: number, output: BufferSlice, label: string): DispatchHandle {
    return plan.add(this.kernel('meanLoss'), [input.buffer, output.buffer], meanLossUniforms(input.offset, rows, output.offset, rows), [1], label);
  }

  /**
   * One optimizer step over the flat parameter buffer (see sgd.wgsl, adam.wgsl, rmsprop.wgsl);
   * with `indirect`, its workgroup count is read there (the non-finite guard sets 0 to skip it).
   */
  optimizerUpdate(plan: DispatchPlan, type: OptimizerKernel, buffers: OptimizerBuffers, values: OptimizerStepValues, label: string, indirect?: BufferSlice): DispatchHandle {
    const first = buffers.firstState ?? this.placeholder;
    const second = buffers.secondState ?? this.secondPlaceholder;
    const bound =
      type === 'sgd'
        ? [buffers.gradients, buffers.parameters, first]
        : type === 'adam'
          ? [buffers.gradients, buffers.parameters, first, second]
          : [buffers.gradients, buffers.parameters, second, first];
    return plan.add(this.kernel(`${type}Update`), bound, optimizerUniforms(type, values), indirect ?? this.elementwiseGrid(values.count), label);
  }
}

const kernelSets = new WeakMap<GPUDevice, Promise<KernelSet>>();
