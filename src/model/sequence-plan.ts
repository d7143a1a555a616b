/**
 * The training step for one batch shape (T time steps, B sequences), recorded
 * once as a dispatch plan: each layer's forward pass (layer k reads layer k−1's
 * hidden sequence), the head and the loss, backpropagation through time from
 * the top layer down, then the optimizer update. `record` lays one run of it into
 * a command encoder, top to bottom: zero the gradients → load the initial states →
 * forward t = 0..T−1 → loss → backward t = T−1..0 → update → store the final states.
 *
 *   logits [T·B, V′]  the head's output, overwritten by dL/dlogits in the loss;
 *                     rows of V′ = headRows(V) words (a multiple of 4), whose last
 *                     V′ − V are 0 (W_y's and b_y's zero rows, parameter-layout.ts),
 *                     so the head's three products are vec4 products
 */
import { createStorageBuffer, readFloats, writeElements } from '../device/buffers.ts';
import { type DispatchHandle, DispatchPlan } from '../kernels/dispatch-plan.ts';
import { PassRecorder } from '../kernels/pass-recorder.ts';
import type { DispatchProfiler } from '../kernels/dispatch-profiler.ts';
import { dropoutBetweenLayers, dropoutUniforms, type KernelSet, normUniforms, meanLossUniforms, mseUniforms, softmaxUniforms, type OptimizerKernel, optimizerKernel, optimizerUniforms, type OptimizerStepValues, tokenInput, updateInvocations } from '../kernels/kernel-set.ts';
import type { ValidatedBatch } from './batch.ts';
import type { ResolvedConfig } from './config.ts';
import { BidirectionalStage } from './bidirectional-stage.ts';
import { GruLayer } from './layers/gru-layer.ts';
import { LstmLayer } from './layers/lstm-layer.ts';
import type { LayerInput, LayerSetting, RecurrentLayer } from './layers/recurrent-layer.ts';
import { RnnLayer } from './layers/rnn-layer.ts';
import { type LayerStage, SingleDirectionStage } from './layer-stage.ts';
import type { ModelBuffers } from './model-buffers.ts';
import { optimizerStepValues } from './optimizer.ts';
import { headRows, type ParameterLayout } from './parameter-layout.ts';
import { encodeFinalStates, encodeInitialStates, type InitialStates, type StreamStates } from './state-streams.ts';

export type PlanPart = 'forward' | 'loss' | 'backward' | 'update';
/** 'train': every part; 'evaluate': forward and loss only, with no gradient buffers at all. */
export type PlanMode = 'train' | 'evaluate';

const LAYER_TYPES = { rnn: RnnLayer, lstm: LstmLayer, gru: GruLayer };
/**
 * A part of a run: the parts of a training step, or 'gradientNorm', the norm alone
 * (no clipping, no guard) for gradients-only passes; a step's update computes its own.
 */
export type StepPart = PlanPart | 'gradientNorm';
/** The parts in the order a run runs them. */
const STEP_ORDER: readonly StepPart[] = ['forward', 'loss', 'backward', 'gradientNorm', 'update'];

/** What one run sets before it is recorded: its loss slot, dropout masks and optimizer values. */
export interface RunSettings {
  /** History element of this run's mean loss (and gradient norm); with 'loss'. */
  lossSlot?: number;
  /** One mask key per layer boundary and the drop probability (0 for evaluation); models with dropout. */
  dropout?: { keys: number[]; probability: number };
  /** With 'update': the step's learning rate, bias corrections, … */
  optimizerValues?: OptimizerStepValues;
}

/** What one run records. */
export interface StepRecording {
  parts: readonly StepPart[];
  initialStates: InitialStates;
  /** The stream the final states go to (for reading and for the next 'carry'). */
  finalStates: StreamStates;
  /** Per-sequence lengths: each sequence's final state is that of its own last step. */
  lengths?: ArrayLike<number>;
  /** Further work recorded after the step's parts, in the same pass (e.g. drawing a token). */
  alsoRecord?: (recorder: PassRecorder) => void;
  label: string;
  /** Profiling only (the bench): times each dispatch in a pass of its own; the same work and results. */
  profiler?: DispatchProfiler;
}

export class SequencePlan {
  readonly timeSteps: number;
  readonly batchSize: number;
  /** Token ids (u32) or dense inputs (f32), time-major. */
  readonly inputs: GPUBuffer;
  readonly targets: GPUBuffer;
  /** Loss 'mse': the target values [T·B, V]. */
  readonly targetValues: GPUBuffer | undefined;
  private readonly lossKind: 'cross-entropy' | 'mse';
  readonly logits: GPUBuffer;
  /** The stacked layers, bottom first (bidirectional ones join two recurrent layers). */
  readonly stages: LayerStage[];
  /** Every recurrent layer in the order of the state blocks [L·directions, B, H]: l0 (fwd, rev), l1, … */
  readonly layers: RecurrentLayer[];
  /** Bidirectional models: the sequence lengths [B] (u32; T where a batch has none), read by the direction kernels. */
  private readonly lengths: GPUBuffer | undefined;
  private readonly device: GPUDevice;
  /** The model's flat gradient buffer (training plans). */
  private readonly gradients: GPUBuffer | undefined;
  private readonly rowLosses: GPUBuffer;
  /** V: classes (or outputs) per position. */
  readonly logitsClasses: number;
  /** With a learned embedding: the looked-up rows [T·B, D] (layer 0's input) and their gradients. */
  private readonly embedded: GPUBuffer | undefined;
  private readonly embeddedGradients: GPUBuffer | undefined;
  /** With dropout: layer k's output after its mask, the input of layer k+1 [T·B, directions·H]. */
  private readonly droppedOutputs: GPUBuffer[] = [];
  /** Per layer boundary: the two dispatches and where they read (the mask is over `count` elements). */
  private readonly dropoutHandles: { forward: DispatchHandle; backward: DispatchHandle; count: number; outputOffset: number; gradientOffset: number }[] = [];
  private readonly plan: DispatchPlan;
  private readonly parts: Record<StepPart, [number, number]>;
  private readonly lossHandle: DispatchHandle;
  /** The per-row loss kernel (softmax cross-entropy or mean squared error), whose uniforms carry the counted positions. */
  private readonly rowLossHandle: DispatchHandle;
  private optimizerHandle: DispatchHandle | undefined;
  private optimizerKernel: OptimizerKernel = 'sgd';
  private normHandle: DispatchHandle | undefined;
  private normOnlyHandle: DispatchHandle | undefined;
  private normValues = { count: 0, maxNorm: 0, updateGrid: [1, 1] as [number, number] };

  readonly mode: PlanMode;

  constructor(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, model: ModelBuffers, timeSteps: number, batchSize: number, mode: PlanMode) {
    const device = kernels.device;
    const T = timeSteps;
    const B = batchSize;
    const { hiddenSize: H, outputSize: V, inputSize: I } = config;
    const TB = T * B;
    this.timeSteps = T;
    this.batchSize = B;
    this.mode = mode;
    this.device = device;
    const training = mode === 'train';
    if (training) this.gradients = model.gradients;
    const shape = `T=${T} B=${B}${training ? '' : ' evaluation'}`;
    this.inputs = createStorageBuffer(device, `inputs ${shape}`, config.inputKind === 'tokens' ? TB : TB * I);
    this.targets = createStorageBuffer(device, `targets ${shape}`, TB);
    const rowLength = headRows(V);
    this.logits = createStorageBuffer(device, `logits ${shape}`, TB * rowLength);
    this.rowLosses = createStorageBuffer(device, `row losses ${shape}`, TB);
    this.logitsClasses = V;
    this.lossKind = config.loss;
    if (config.loss === 'mse') this.targetValues = createStorageBuffer(device, `target values ${shape}`, TB * V);
    const { parameters, gradients } = model;
    const setting = (layer: number): LayerSetting => ({ kernels, config, layout, parameters, gradients, timeSteps: T, batchSize: B, layer, forwardOnly: !training });
    const W = config.directions * H; // width of every layer's output
    // Between layers with dropout, layer k+1 reads layer k's output through the mask.
    if (dropoutBetweenLayers(config)) {
      for (let k = 0; k + 1 < config.layers; k++) this.droppedOutputs.push(createStorageBuffer(device, `layer ${k} output after dropout ${shape}`, TB * W));
    }
    const D = config.embeddingSize;
    if (tokenInput(config) === 'lookup') {
      this.embedded = createStorageBuffer(device, `embedded inputs ${shape}`, TB * D);
      if (training) this.embeddedGradients = createStorageBuffer(device, `embedded input gradients ${shape}`, TB * D);
    }
    if (config.bidirectional) this.lengths = createStorageBuffer(device, `sequence lengths ${shape}`, B);
    const stages: LayerStage[] = [];
    const inputOf = (k: number): LayerInput =>
      k > 0
        ? { kind: 'dense', sequence: this.droppedOutputs.length > 0 ? { buffer: this.droppedOutputs[k - 1], offset: 0 } : stages[k - 1].output, width: W }
        : this.embedded
          ? { kind: 'dense', sequence: { buffer: this.embedded, offset: 0 }, width: D }
          : config.inputKind === 'tokens'
          ? { kind: 'tokens', tokens: this.inputs, vocabulary: I }
          : { kind: 'dense', sequence: { buffer: this.inputs, offset: 0 }, width: I };
    const makeLayer = (layerSetting: LayerSetting) => new LAYER_TYPES[config.cell](layerSetting);
    for (let k = 0; k < config.layers; k++) {
      stages.push(
        config.bidirectional
          ? new BidirectionalStage(setting(k), makeLayer, inputOf(k), this.lengths!, k > 0 || D > 0)
          : new SingleDirectionStage(makeLayer(setting(k)), B),
      );
    }
    this.stages = stages;
    this.layers = stages.flatMap((stage) => stage.directions);
    const top = this.topStage;
    const at = (name: string) => layout.byName[name].offset;
    const plan = new DispatchPlan(device, `training step ${shape}`);
    this.plan = plan;
    // Each part may be encoded without the ones before it (forward alone, …): operand textures are not reused across parts.
    const mark = () => plan.startSegment();

    // ---- forward: layer by layer, each over t = 0..T−1; then the head for all steps at once ----
    const forwardStart = mark();
    // x_t = E[token_t] for all steps at once
    if (this.embedded) kernels.embeddingRowsForward(plan, { tokens: this.inputs, parameters, weightOffset: at('embedding.weight'), output: { buffer: this.embedded, offset: 0 }, rows: TB, width: D }, 'embedding lookup');
    this.stages.forEach((stage, k) => {
      stage.recordForward(plan, inputOf(k));
      if (k < this.droppedOutputs.length) {
        const forward = kernels.dropoutForward(plan, stage.output, { buffer: this.droppedOutputs[k], offset: 0 }, TB * W, `layer ${k} dropout`);
        this.dropoutHandles.push({ forward, backward: forward, count: TB * W, outputOffset: stage.output.offset, gradientOffset: training ? stage.outputGradient.offset : 0 });
      }
    });
    // y_t = h_t W_yᵀ + b_y  (h_t: the top layer's output, [h_fwd, h_rev] when bidirectional), over
    // all V′ rows of W_y and b_y: the last V′ − V outputs are 0
    kernels.matmul(
      plan,
      { a: top.output, b: { buffer: parameters, offset: at('weight') }, transposeB: true, c: { buffer: this.logits, offset: 0 }, m: TB, n: rowLength, k: W, bias: { buffer: parameters, offsets: [at('bias')] } },
      'head',
    );

    // ---- loss: row losses and dL/dlogits in place (the zero outputs past V stay 0); their mean into the loss history ----
    const lossStart = mark();
    this.rowLossHandle =
      config.loss === 'mse'
        ? kernels.meanSquaredError(plan, { targetValues: this.targetValues!, rowFlags: this.targets, outputs: { buffer: this.logits, offset: 0 }, rowLosses: this.rowLosses, rows: TB, classes: V, rowLength }, 'mean squared error')
        : kernels.softmaxCrossEntropy(plan, { targets: this.targets, logits: { buffer: this.logits, offset: 0 }, rowLosses: this.rowLosses, rows: TB, classes: V, rowLength }, 'softmax cross-entropy');
    this.lossHandle = kernels.meanLoss(plan, { buffer: this.rowLosses, offset: 0 }, TB, { buffer: model.lossHistory, offset: 0 }, 'mean loss');

    // ---- backward (gradients accumulate into the zeroed gradient buffer) ----
    const backwardStart = mark();
    if (training) this.recordBackward(kernels, config, layout, model, inputOf);
    const updateStart = mark();
    if (training) this.recordUpdate(kernels, config, layout, model);
    const end = mark();
    // ---- gradient norm without update (gradients-only passes): ‖g‖ into the norm history,
    // nothing clipped, the guard's words in a scratch buffer of their own ----
    if (training) {
      this.normOnlyHandle = kernels.guardedGradientNorm(
        plan,
        { gradients: model.gradients, count: layout.totalLength, scratch: model.normScratch, normHistory: model.normHistory, lossHistory: model.lossHistory, guard: model.normOnlyGuard, maxNorm: 0, updateCount: updateInvocations(optimizerKernel(config.optimizer.type), layout.totalLength) },
        'gradient norm (no update)',
      );
    }

    this.parts = {
      forward: [forwardStart, lossStart],
      loss: [lossStart, backwardStart],
      backward: [backwardStart, updateStart],
      update: [updateStart, end],
      gradientNorm: [end, mark()],
    };
    plan.build();
  }

  /** Writes the run's inputs and targets and sets its uniforms (queue writes: they land before the run's commands). */
  setRun(batch: ValidatedBatch, parts: readonly StepPart[], settings: RunSettings): void {
    writeElements(this.device, this.inputs, 0, batch.tokens ?? batch.inputs!);
    if (batch.targets) writeElements(this.device, this.targets, 0, batch.targets);
    if (batch.targetValues) writeElements(this.device, this.targetValues!, 0, batch.targetValues);
    if (parts.includes('loss')) this.setLoss(settings.lossSlot ?? 0, batch.countedTargets);
    if (settings.dropout) this.setDropout(settings.dropout.keys, settings.dropout.probability);
    if (parts.includes('update')) this.setOptimizerValues(settings.optimizerValues!);
    if (this.lengths) {
      // Bidirectional: where each sequence's reverse direction starts, and what the head reads.
      writeElements(this.device, this.lengths, 0, batch.lengths ?? new Uint32Array(this.batchSize).fill(this.timeSteps));
      (this.topStage as BidirectionalStage).setSummary(this.plan, batch.manyToOne === true);
    }
  }

  /** Records one run of the step into `encoder`, in the order it runs. */
  record(encoder: GPUCommandEncoder, run: StepRecording): void {
    const { parts } = run;
    // 1. Zero the gradients: backward only adds to them.
    if (parts.includes('backward')) this.encodeZeroGradients(encoder);
    // 2. The initial states of every layer: given, carried or zero.
    encodeInitialStates(this.device, encoder, this.layers, this.batchSize, run.initialStates);
    // 3. Forward t = 0..T−1, loss, backward t = T−1..0, (the norm alone or) the update: one compute pass,
    //    or one between each two operand-texture copies (profiled: each dispatch in a timed pass of its own).
    const ranges = STEP_ORDER.filter((part) => parts.includes(part)).map((part) => this.parts[part]);
    if (run.profiler) for (const range of ranges) this.plan.encodeTimed(encoder, run.profiler, ...range);
    const recorder = new PassRecorder(encoder, run.label);
    if (!run.profiler) for (const range of ranges) this.plan.encode(recorder, ...range);
    run.alsoRecord?.(recorder);
    recorder.end();
    // 4. The final states, for reading and for the next 'carry'.
    encodeFinalStates(encoder, this.layers, this.timeSteps, run.finalStates, run.lengths);
  }

  private recordBackward(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, model: ModelBuffers, inputOf: (k: number) => LayerInput): void {
    const plan = this.plan;
    const { parameters, gradients } = model;
    const rowLength = this.logitsRowLength; // V′: dL/dlogits is 0 past the V outputs, and so are these rows of dW_y and db_y
    const TB = this.timeSteps * this.batchSize;
    const D = config.embeddingSize;
    const top = this.topStage;
    const W = top.outputWidth;
    const at = (name: string) => layout.byName[name].offset;
    // dW_y += dYᵀ · H ;  db_y += Σ_rows dY
    kernels.matmul(
      plan,
      { a: { buffer: this.logits, offset: 0 }, transposeA: true, b: top.output, c: { buffer: gradients, offset: at('weight') }, m: rowLength, n: W, k: TB, accumulate: true },
      'head weight gradient',
    );
    kernels.columnSums(plan, { buffer: this.logits, offset: 0 }, TB, rowLength, { buffer: gradients, offsets: [at('bias')] }, 'head bias gradient');
    // dL/dh_t from the head, all steps at once: dY · W_y, into the top layer's output gradient (slots 1..T)
    kernels.matmul(
      plan,
      { a: { buffer: this.logits, offset: 0 }, b: { buffer: parameters, offset: at('weight') }, c: top.outputGradient, m: TB, n: W, k: rowLength },
      'hidden-state gradient from the head',
    );
    for (let k = config.layers - 1; k >= 0; k--) {
      const below = k > 0 ? this.stages[k - 1].outputGradient : this.embeddedGradients ? { buffer: this.embeddedGradients, offset: 0 } : undefined;
      this.stages[k].recordBackward(plan, inputOf(k), below);
      // The gradient reaching layer k−1's output goes back through the same mask.
      if (k > 0 && k - 1 < this.droppedOutputs.length) {
        this.dropoutHandles[k - 1].backward = kernels.dropoutBackward(plan, below!, TB * W, `layer ${k - 1} dropout backward`);
      }
    }
    // dE[token_t] += dL/dx_t for all steps at once
    if (this.embeddedGradients) {
      kernels.embeddingRowsBackward(plan, { tokens: this.inputs, dInputs: { buffer: this.embeddedGradients, offset: 0 }, gradients, weightOffset: at('embedding.weight'), rows: TB, width: D }, 'embedding gradient');
    }
  }

  private recordUpdate(kernels: KernelSet, config: ResolvedConfig, layout: ParameterLayout, model: ModelBuffers): void {
    const plan = this.plan;
    const { parameters, gradients } = model;
    // ---- update: the gradient norm, clipping (when asked) and the non-finite guard; then the
    // optimizer, dispatched indirectly so that the guard can skip it without a readback ----
    const type = config.optimizer.type;
    this.optimizerKernel = optimizerKernel(type);
    const updateCount = updateInvocations(this.optimizerKernel, layout.totalLength);
    this.normValues = { count: layout.totalLength, maxNorm: config.clipGradientNorm, updateGrid: kernels.updateGrid(updateCount) };
    this.normHandle = kernels.guardedGradientNorm(
      plan,
      { gradients, count: layout.totalLength, scratch: model.normScratch, normHistory: model.normHistory, lossHistory: model.lossHistory, guard: model.guard, maxNorm: config.clipGradientNorm, updateCount },
      'gradient norm',
    );
    // The step's values (learning rate, bias corrections) are set before each step (setOptimizerValues).
    this.optimizerHandle = kernels.optimizerUpdate(
      plan,
      this.optimizerKernel,
      { gradients, parameters, firstState: model.firstState, secondState: model.secondState },
      optimizerStepValues(config.optimizer, 1, 0, layout.totalLength),
      `${type} update`,
      { buffer: model.guard, offset: 0 },
    );
  }

  /** Dispatches of one training step (forward, loss, backward, update). */
  get dispatchCount(): number {
    return STEP_ORDER.filter((part) => part !== 'gradientNorm').reduce((sum, part) => sum + this.partSize(part), 0);
  }

  /** The top layer's (forward direction's) recurrent layer. */
  get topLayer(): RecurrentLayer {
    return this.topStage.directions[0];
  }

  /** The top layer, whose output feeds the head. */
  get topStage(): LayerStage {
    return this.stages[this.stages.length - 1];
  }

  /** Dispatches in one part of the plan. */
  partSize(part: StepPart): number {
    const [from, to] = this.parts[part];
    return this.plan.dispatchesIn(from, to);
  }

  /**
   * Sets the loss of this run: `counted` positions have a target (the mean's divisor), and the
   * mean loss (and, in training, the gradient norm) go to history element `slot`.
   */
  private setLoss(slot: number, counted: number): void {
    const rows = this.timeSteps * this.batchSize;
    // The mean: over counted positions for cross-entropy, over their outputs too for MSE.
    const divisor = this.lossKind === 'mse' ? counted * this.logitsClasses : counted;
    const shape = { rows, classes: this.logitsClasses, rowLength: this.logitsRowLength };
    const lossUniforms = this.lossKind === 'mse' ? mseUniforms(shape, 0, counted) : softmaxUniforms(shape, 0, counted);
    this.plan.updateUniforms(this.rowLossHandle, lossUniforms);
    this.plan.updateUniforms(this.lossHandle, meanLossUniforms(0, rows, slot, divisor));
    const { count, maxNorm, updateGrid } = this.normValues;
    if (this.normHandle) this.plan.updateUniforms(this.normHandle, normUniforms(count, maxNorm, slot, updateGrid));
    if (this.normOnlyHandle) this.plan.updateUniforms(this.normOnlyHandle, normUniforms(count, 0, slot, updateGrid));
  }

  /** Sets the dropout masks of the coming run: one key per layer boundary, p = 0 for evaluation. */
  private setDropout(keys: number[], dropProbability: number): void {
    this.dropoutHandles.forEach((handles, k) => {
      this.plan.updateUniforms(handles.forward, dropoutUniforms(handles.count, keys[k], dropProbability, handles.outputOffset, 0));
      if (handles.backward !== handles.forward) this.plan.updateUniforms(handles.backward, dropoutUniforms(handles.count, keys[k], dropProbability, 0, handles.gradientOffset));
    });
  }

  /** Sets the update's uniforms for the coming step. */
  private setOptimizerValues(values: OptimizerStepValues): void {
    if (!this.optimizerHandle) throw new Error('An evaluation plan has no update.');
    this.plan.updateUniforms(this.optimizerHandle, optimizerUniforms(this.optimizerKernel, values));
  }

  /** V′ = headRows(V): words per row of `logits` (the last V′ − V are 0). */
  get logitsRowLength(): number {
    return headRows(this.logitsClasses);
  }

  /** The logits [T·B, V] of this plan's latest forward pass (without the zero words that end each stored row). */
  async readLogits(): Promise<Float32Array> {
    const rows = this.timeSteps * this.batchSize;
    const V = this.logitsClasses;
    const stored = await readFloats(this.device, this.logits, 0, rows * this.logitsRowLength);
    if (this.logitsRowLength === V) return stored;
    const logits = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) logits.set(stored.subarray(r * this.logitsRowLength, r * this.logitsRowLength + V), r * V);
    return logits;
  }

  /** dL/dh_{−1} [L, B, H] (and dL/dc_{−1} for LSTM) from this plan's latest backward pass. */
  async readInitialStateGradients(): Promise<{ hidden: Float32Array; cell?: Float32Array }> {
    const size = this.batchSize * this.layers[0].hiddenSize;
    const hidden = new Float32Array(this.layers.length * size);
    const cell = this.layers[0].cellStates ? new Float32Array(this.layers.length * size) : undefined;
    await Promise.all(
      this.layers.map(async (layer, k) => {
        const initial = layer.initialStateGradient;
        hidden.set(await readFloats(this.device, initial.buffer, initial.offset, size), k * size);
        if (cell && layer.cellGradients) cell.set(await readFloats(this.device, layer.cellGradients.buffer, layer.cellGradients.offset, size), k * size);
      }),
    );
    return cell ? { hidden, cell } : { hidden };
  }

  /** The parameter gradients and every range a layer's backward only adds to. */
  private encodeZeroGradients(encoder: GPUCommandEncoder): void {
    if (!this.gradients) throw new Error('An evaluation plan has no gradients.');
    encoder.clearBuffer(this.gradients);
    for (const stage of this.stages) {
      for (const range of stage.zeroBeforeBackward()) encoder.clearBuffer(range.buffer, range.offset * 4, range.size * 4);
    }
  }

  destroy(): void {
    this.plan.destroy();
    for (const stage of this.stages) stage.destroy();
    for (const buffer of [this.inputs, this.targets, this.logits, this.rowLosses, this.targetValues, this.embedded, this.embeddedGradients, this.lengths, ...this.droppedOutputs]) buffer?.destroy();
  }
}
