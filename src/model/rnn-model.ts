/**
 * A recurrent language model / sequence classifier trained on the GPU.
 * One training step = forward over time, loss, BPTT, optimizer update, recorded
 * into one command encoder and submitted once; the loss stays on the GPU until
 * asked for.
 */
import { readFloats, readWords, writeElements } from '../device/buffers.ts';
import { DispatchPlan } from '../kernels/dispatch-plan.ts';
import { GUARD_SKIPPED_STEPS } from '../kernels/kernel-set.ts';
import type { GpuContext } from '../device/gpu-context.ts';
import { KernelSet } from '../kernels/kernel-set.ts';
import { SafetensorsError } from '../io/safetensors.ts';
import { InvalidArgumentError, requireIndices, requirePositiveInteger } from '../validation.ts';
import { checkFileFitsConfig } from './file-checks.ts';
import { checkBatchFitsDevice, checkModelFitsDevice, checkTopKSelection, SIZE_LIMITS } from './size-limits.ts';
import { releaseOnFailure } from './release-on-failure.ts';
import { EpochLosses } from './epoch-losses.ts';
import {
  checkBatchShape,
  checkCarry,
  checkContext,
  checkEpochArguments,
  checkEpochBatches,
  checkExtraMetadata,
  checkFromWeightsArguments,
  checkGenerateOptions,
  checkLearningRate,
  checkParameterValues,
  checkScheduledLearningRate,
  checkStepNumber,
  checkTemperature,
  checkTrainingState,
  epochStep,
} from './options.ts';
import { type SequenceBatch, validateBatch, type ValidatedBatch } from './batch.ts';
import { type ResolvedConfig, type RnnModelConfig, resolveConfig } from './config.ts';
import { dropoutKey, dropoutMask, pcgHash } from './dropout.ts';
import { initialParameters } from './initialization.ts';
import { kernelsNeededBy } from './kernels-needed.ts';
import { optimizerConfigOf, optimizerState, optimizerStepValues, scheduledLearningRate } from './optimizer.ts';
import { checkParametersFit, configOf, decodeModelFile, encodeModelFile, OPTIMIZER_STATE_PREFIX } from './model-file.ts';
import { LOSS_HISTORY_LENGTH, ModelBuffers } from './model-buffers.ts';
import { type ParameterLayout, parameterLayout } from './parameter-layout.ts';
import { type PlanMode, type PlanPart, SequencePlan } from './sequence-plan.ts';

/** A training step's loss or gradients were not finite (its update was skipped on the GPU). */
export class NonFiniteStepError extends Error {
  readonly step: number;

  constructor(step: number, loss: number) {
    super(
      `Step ${step} had a non-finite ${Number.isFinite(loss) ? 'gradient' : `loss (${loss})`}; its update was skipped and the parameters are those before it. ` +
        'Lower the learning rate, clip the gradients (clipGradientNorm), or check the inputs.',
    );
    this.name = 'NonFiniteStepError';
    this.step = step;
  }
}

/** What trainEpoch reports every `progressEvery` steps. */
export interface EpochProgress {
  /** The optimizer step just taken (counting from the model's first). */
  step: number;
  /** Steps taken in this epoch so far. */
  stepsThisEpoch: number;
  /** That step's loss. */
  loss: number;
}

/** What a step returns: its index, and its mean loss when asked for. */
export interface StepResult {
  /** 1-based index of the optimizer step (0 for a gradients-only pass). */
  readonly step: number;
  /** The step's mean loss (cross-entropy in nats, or the mean squared error), read from the GPU on demand. */
  loss(): Promise<number>;
  /** Training steps: the global L2 norm of the gradients, before any clipping. */
  gradientNorm(): Promise<number>;
}

/** Batch shapes whose plans are kept (each holds its own activation buffers). */
const PLANS_KEPT = 6;

export class RnnModel {
  readonly context: GpuContext;
  readonly config: Readonly<ResolvedConfig>;
  readonly layout: ParameterLayout;
  private readonly kernels: KernelSet;
  private readonly buffers: ModelBuffers;
  private readonly plans = new Map<string, SequencePlan>();
  private optimizerStep = 0;
  /** Runs that wrote a loss, for the loss-history slot. */
  private lossWrites = 0;
  /** Training runs so far: each draws fresh dropout masks. */
  private trainingRuns = 0;
  private lastDropout: { keys: number[]; count: number } = { keys: [], count: 0 };
  private lastPlan: SequencePlan | undefined;
  private lastTrainingPlan: SequencePlan | undefined;
  private disposed = false;

  private constructor(context: GpuContext, config: ResolvedConfig, kernels: KernelSet) {
    this.context = context;
    this.config = config;
    this.kernels = kernels;
    this.layout = parameterLayout(config);
    this.buffers = new ModelBuffers(context.device, config, this.layout, initialParameters(config, this.layout));
  }

  /** Creates a model with PyTorch-style initialization from `config.seed`. */
  static async create(context: GpuContext, config: RnnModelConfig): Promise<RnnModel> {
    checkContext(context);
    const resolved = resolveConfig(config);
    checkModelFitsDevice(resolved, context.limits);
    context.throwIfFaulted();
    const kernels = await KernelSet.load(context.device);
    await kernels.ensure(kernelsNeededBy(resolved));
    return releaseOnFailure(context.device, () => new RnnModel(context, resolved, kernels));
  }

  /**
   * A model from a safetensors file written by saveWeights (or a PyTorch
   * state_dict of nn.RNN / LSTM / GRU + nn.Linear, whose architecture is inferred
   * from the shapes; `inputKind` says whether it takes tokens, default 'tokens').
   * `config` adds what a file does not hold: optimizer and seed.
   */
  static async fromWeights(
    context: GpuContext,
    bytes: Uint8Array,
    options: { optimizer?: RnnModelConfig['optimizer']; inputKind?: 'tokens' | 'dense' } = {},
  ): Promise<RnnModel> {
    checkFromWeightsArguments(context, options);
    const file = decodeModelFile(bytes, { inputKind: options.inputKind });
    checkFileFitsConfig(file.config, file);
    const model = await RnnModel.create(context, { ...file.config, ...(options.optimizer ? { optimizer: options.optimizer } : {}) });
    try {
      model.loadParameters(file.parameters);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * The weights as a safetensors file: F32 tensors by PyTorch state_dict name and
   * metadata recording the architecture, plus `extraMetadata` (strings).
   */
  async saveWeights(extraMetadata: Record<string, string> = {}): Promise<Uint8Array> {
    checkExtraMetadata(extraMetadata);
    const parameters = await this.readParameters();
    return encodeModelFile(
      this.architecture,
      Object.fromEntries(this.layout.views.map((view) => [view.name, { shape: view.shape, data: parameters[view.name] }])),
      extraMetadata,
    );
  }

  /**
   * Replaces every parameter with those of a safetensors file. The file must fit
   * this model exactly (architecture, names, shapes); anything that does not is
   * reported in one SafetensorsError and the model is left as it was.
   */
  loadWeights(bytes: Uint8Array): void {
    this.checkUsable();
    const file = decodeModelFile(bytes, { inputKind: this.config.inputKind });
    const recorded = file.inferred ? (['cell', 'layers'] as const) : (['cell', 'nonlinearity', 'layers'] as const);
    const mismatches = recorded
      .filter((key) => file.config[key] !== undefined && file.config[key] !== this.config[key])
      .map((key) => `${key} ${file.config[key]} in the file, ${this.config[key]} in this model`);
    if (mismatches.length > 0) throw new SafetensorsError(`the file does not fit this model: ${mismatches.join('; ')}`);
    this.loadParameters(file.parameters);
  }

  private loadParameters(parameters: Record<string, { shape: number[]; data: Float32Array }>): void {
    checkParametersFit(parameters, this.parameterShapes);
    this.writeParameters(Object.fromEntries(Object.entries(parameters).map(([name, tensor]) => [name, tensor.data])));
  }

  private get architecture() {
    const { cell, nonlinearity, layers, inputKind, inputSize, embeddingSize, hiddenSize, outputSize } = this.config;
    return { cell, nonlinearity, layers, inputKind, inputSize, embeddingSize, hiddenSize, outputSize };
  }

  /** The configuration that recreates this model (architecture, optimizer, schedule, clipping, dropout, seed). */
  get fullConfig(): RnnModelConfig {
    const c = this.config;
    return {
      ...configOf(this.architecture),
      dropout: c.dropout,
      seed: c.seed,
      optimizer: optimizerConfigOf(c.optimizer),
      schedule: c.schedule,
      ...(c.loss !== 'cross-entropy' ? { loss: c.loss } : {}),
      ...(c.clipGradientNorm > 0 ? { clipGradientNorm: c.clipGradientNorm } : {}),
      ...(c.onNonFinite !== 'skip' ? { onNonFinite: c.onNonFinite } : {}),
    };
  }

  /**
   * The whole training state as one safetensors file: weights, the optimizer's
   * per-parameter states (`optimizer.first.<name>`, `optimizer.second.<name>`),
   * and in the metadata the full config, the step count (the schedule's
   * position) and the dropout draw counter. `fromCheckpoint` continues from it
   * exactly as if training had not stopped. The file also loads as weights.
   */
  async saveCheckpoint(extraMetadata: Record<string, string> = {}): Promise<Uint8Array> {
    checkExtraMetadata(extraMetadata);
    const parameters = await this.readParameters();
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const view of this.layout.views) tensors[view.name] = { shape: view.shape, data: parameters[view.name] };
    for (const [which, buffer] of [['first', this.buffers.firstState], ['second', this.buffers.secondState]] as const) {
      if (!buffer) continue;
      const flat = await readFloats(this.context.device, buffer, 0, this.layout.totalLength);
      for (const view of this.layout.views) {
        tensors[`${OPTIMIZER_STATE_PREFIX}${which}.${view.name}`] = { shape: view.shape, data: flat.slice(view.offset, view.offset + view.length) };
      }
    }
    const trainingState = JSON.stringify({ config: this.fullConfig, optimizerStep: this.optimizerStep, trainingRuns: this.trainingRuns, lossWrites: this.lossWrites });
    return encodeModelFile(this.architecture, tensors, extraMetadata, { trainingState });
  }

  /** A model that continues training from a checkpoint written by saveCheckpoint. */
  static async fromCheckpoint(context: GpuContext, bytes: Uint8Array): Promise<RnnModel> {
    checkContext(context);
    const file = decodeModelFile(bytes);
    if (file.metadata.kind !== 'checkpoint') {
      throw new SafetensorsError(`the file is a ${file.metadata.kind ?? 'plain safetensors'} file, not a checkpoint; load weights with RnnModel.fromWeights`);
    }
    checkTrainingState(file.metadata);
    let state: { config: RnnModelConfig; optimizerStep: number; trainingRuns: number; lossWrites: number };
    try {
      state = JSON.parse(file.metadata.training_state);
    } catch {
      throw new SafetensorsError("the checkpoint's training_state metadata is not valid JSON");
    }
    for (const counter of ['optimizerStep', 'trainingRuns', 'lossWrites'] as const) {
      if (!Number.isInteger(state[counter]) || state[counter] < 0) {
        throw new SafetensorsError(`the checkpoint's training_state.${counter} is ${JSON.stringify(state[counter])}, expected an integer ≥ 0`);
      }
    }
    checkFileFitsConfig(state.config, file, true);
    const model = await RnnModel.create(context, state.config);
    try {
      model.loadParameters(file.parameters);
      model.loadOptimizerState(file.optimizerState);
    } catch (error) {
      model.dispose();
      throw error;
    }
    model.optimizerStep = state.optimizerStep;
    model.trainingRuns = state.trainingRuns;
    model.lossWrites = state.lossWrites;
    return model;
  }

  private loadOptimizerState(tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
    const needs = optimizerState(this.config.optimizer);
    const expected: Record<string, number[]> = {};
    for (const which of ['first', 'second'] as const) {
      if (!needs[which]) continue;
      for (const view of this.layout.views) expected[`${which}.${view.name}`] = view.shape;
    }
    checkParametersFit(tensors, expected);
    for (const [which, buffer] of [['first', this.buffers.firstState], ['second', this.buffers.secondState]] as const) {
      if (!buffer) continue;
      for (const view of this.layout.views) writeElements(this.context.device, buffer, view.offset, tensors[`${which}.${view.name}`].data);
    }
  }

  /** Optimizer steps taken. */
  get stepCount(): number {
    return this.optimizerStep;
  }

  /** Parameter names (PyTorch state_dict names) and shapes. */
  get parameterShapes(): Record<string, number[]> {
    return Object.fromEntries(this.layout.views.map((view) => [view.name, [...view.shape]]));
  }

  /** One training step: forward, loss, BPTT and the optimizer update, one submission. */
  trainStep(batch: SequenceBatch): StepResult {
    return this.run(batch, ['forward', 'loss', 'backward', 'update']);
  }

  /**
   * Forward pass and loss only, in evaluation mode (no dropout): no gradient
   * buffer is touched and nothing is updated. For validation loss.
   */
  evaluate(batch: SequenceBatch): StepResult {
    return this.run(batch, ['forward', 'loss']);
  }

  /**
   * One training step per batch (an epoch, when given TextBatches). Every
   * `progressEvery` steps (default 10) it waits for that step's loss and calls
   * `onProgress`, which also lets a page or worker stay responsive; the epoch's
   * mean loss comes from one readback at the end.
   */
  async trainEpoch(
    batches: Iterable<SequenceBatch>,
    options: { onProgress?: (progress: EpochProgress) => void; progressEvery?: number } = {},
  ): Promise<{ steps: number; meanLoss: number }> {
    checkEpochArguments(batches, options);
    checkEpochBatches(batches, this.config);
    const progressEvery = options.progressEvery === undefined ? 10 : requirePositiveInteger('options.progressEvery', options.progressEvery);
    const losses = new EpochLosses((first, count) => this.readLossHistory(first, count), LOSS_HISTORY_LENGTH);
    let steps = 0;
    for (const batch of batches) {
      const result = epochStep(steps, steps, () => this.trainStep(batch));
      losses.add(this.lossWrites - 1);
      steps++;
      if (options.onProgress && steps % progressEvery === 0) options.onProgress({ step: result.step, stepsThisEpoch: steps, loss: await result.loss() });
      await losses.collectIfDue(this.lossWrites);
    }
    if (steps === 0) throw new InvalidArgumentError('batches', 'is empty, expected at least one batch');
    return { steps, meanLoss: await losses.mean() };
  }

  /** Losses of `count` consecutive runs from run `first`, in one readback. */
  private async readLossHistory(first: number, count: number): Promise<Float32Array> {
    this.checkUsable();
    if (this.lossWrites - first > LOSS_HISTORY_LENGTH) {
      throw new Error(`Only the last ${LOSS_HISTORY_LENGTH} runs' losses stay on the GPU; an epoch of ${count} steps needs progressEvery reads or fewer steps.`);
    }
    const all = await readFloats(this.context.device, this.buffers.lossHistory, 0, LOSS_HISTORY_LENGTH);
    return Float32Array.from({ length: count }, (_, i) => all[(first + i) % LOSS_HISTORY_LENGTH]);
  }

  /** Forward, loss and BPTT without updating: gradients are then readable with readGradients(). */
  computeGradients(batch: SequenceBatch): StepResult {
    return this.run(batch, ['forward', 'loss', 'backward']);
  }

  /** Forward pass only; returns logits [T·B, V] (time-major) and the final hidden states [L, B, H]. */
  async predict(batch: SequenceBatch): Promise<{ logits: Float32Array; finalHidden: Float32Array }> {
    const plan = this.submit(validateBatch(batch, this.config, false), ['forward']);
    const rows = plan.timeSteps * plan.batchSize;
    const [logits, finalHidden] = await Promise.all([
      readFloats(this.context.device, plan.logits, 0, rows * this.config.outputSize),
      this.readFinalHidden(),
    ]);
    return { logits, finalHidden };
  }

  /** The learning rate step t (from 1) uses: the base rate under the schedule. */
  learningRateAt(step: number): number {
    checkStepNumber(step);
    return scheduledLearningRate(this.config.schedule, this.config.optimizer.learningRate, step);
  }

  /**
   * Generates `length` tokens after `primeTokens`, entirely on the GPU: the prime
   * is run through the network once, then each step runs one position forward,
   * draws the next token from softmax(logits / temperature) over the topK most
   * likely (sample_token.wgsl) and feeds it back, the states carried on the GPU.
   * All steps are one submission and the tokens one readback. Token models only;
   * the final states are left for 'carry' (batch size 1).
   */
  async generate(options: { primeTokens: ArrayLike<number>; length: number; temperature?: number; topK?: number; seed?: number }): Promise<Uint32Array> {
    checkGenerateOptions(options);
    this.checkUsable();
    const { inputKind, inputSize: V, outputSize, hiddenSize: H } = this.config;
    if (inputKind !== 'tokens' || outputSize !== V) {
      throw new InvalidArgumentError('generate', `needs a token model whose outputs are its tokens; this model takes ${inputKind} inputs of size ${V} and predicts ${outputSize} classes`);
    }
    const length = requirePositiveInteger('options.length', options.length, SIZE_LIMITS.generateLength);
    const temperature = options.temperature === undefined ? 1 : checkTemperature('options.temperature', options.temperature);
    const topK = Math.min(V, options.topK === undefined ? V : requirePositiveInteger('options.topK', options.topK));
    checkTopKSelection(V, topK);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError('options.seed', `got ${seed}, expected an integer ≥ 0`);
    const prime = options.primeTokens;
    if (!prime || prime.length === 0) throw new InvalidArgumentError('options.primeTokens', 'got none, expected at least one token to start from');
    const primeIds = requireIndices('options.primeTokens', prime, prime.length, 'any length', V, 'the vocabulary');

    const device = this.context.device;
    await this.kernels.ensure(['sampleToken']);
    // The prime but its last token, run once; the last token is the first generation step's input.
    if (primeIds.length > 1) this.submit(validateBatch({ timeSteps: primeIds.length - 1, batchSize: 1, inputTokens: primeIds.subarray(0, -1) }, this.config, false), ['forward']);
    const finalStates = this.buffers.finalStatesFor(1);
    const step = this.planFor(1, 1, 'evaluate');
    if (this.config.dropout > 0 && this.config.layers > 1) step.setDropout(new Array(this.config.layers - 1).fill(0), 0);
    writeElements(device, step.inputs, 0, primeIds.subarray(-1));
    const generated = device.createBuffer({ label: 'generated tokens', size: (length + 1) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const sampler = new DispatchPlan(device, 'token sampling');
    try {
      this.kernels.sampleToken(
        sampler,
        { logits: { buffer: step.logits, offset: 0 }, classes: V, nextInput: step.inputs, generated, topK, key: pcgHash(seed), temperature },
        'draw the next token',
      );
      sampler.build();
      const stateBytes = H * 4;
      const encoder = device.createCommandEncoder({ label: `generate ${length} tokens` });
      if (primeIds.length === 1) {
        encoder.clearBuffer(finalStates.hidden);
        if (finalStates.cell) encoder.clearBuffer(finalStates.cell);
      }
      for (let i = 0; i < length; i++) {
        step.layers.forEach((layer, k) => {
          encoder.copyBufferToBuffer(finalStates.hidden, k * stateBytes, layer.hiddenStates, 0, stateBytes);
          if (layer.cellStates) encoder.copyBufferToBuffer(finalStates.cell!, k * stateBytes, layer.cellStates.buffer, layer.cellStates.offset * 4, stateBytes);
        });
        const pass = encoder.beginComputePass({ label: `generation step ${i}` });
        step.encodeInto(pass, ['forward']);
        sampler.encode(pass);
        pass.end();
        step.layers.forEach((layer, k) => {
          encoder.copyBufferToBuffer(layer.hiddenStates, stateBytes, finalStates.hidden, k * stateBytes, stateBytes);
          if (layer.cellStates) encoder.copyBufferToBuffer(layer.cellStates.buffer, layer.cellStates.offset * 4 + stateBytes, finalStates.cell!, k * stateBytes, stateBytes);
        });
      }
      device.queue.submit([encoder.finish()]);
      const tokens = new Uint32Array(await readWords(device, generated, 1, length));
      this.context.throwIfFaulted();
      this.lastPlan = step;
      return tokens;
    } finally {
      sampler.destroy();
      generated.destroy();
    }
  }

  /** Changes the base learning rate from the next step on. */
  setLearningRate(learningRate: number): void {
    this.config.optimizer.learningRate = checkLearningRate(learningRate);
  }

  private run(batch: SequenceBatch, parts: PlanPart[]): StepResult {
    const validated = validateBatch(batch, this.config, true);
    const updating = parts.includes('update');
    const step = updating ? this.optimizerStep + 1 : 0;
    if (updating) checkScheduledLearningRate(step, this.learningRateAt(step));
    const lossIndex = this.lossWrites;
    this.submit(validated, parts, step, lossIndex % LOSS_HISTORY_LENGTH);
    if (updating) this.optimizerStep = step;
    this.lossWrites++;
    const gradientNorm = () =>
      updating ? this.readHistory(this.buffers.normHistory, lossIndex, 'gradient norm') : Promise.reject(new Error('The gradient norm is computed in training steps (trainStep), not in computeGradients.'));
    const loss = async () => {
      const value = await this.readHistory(this.buffers.lossHistory, lossIndex, 'loss');
      if (updating && this.config.onNonFinite === 'error' && !(Number.isFinite(value) && Number.isFinite(await gradientNorm()))) {
        throw new NonFiniteStepError(step, value);
      }
      return value;
    };
    return { step, loss, gradientNorm };
  }

  private submit(batch: ValidatedBatch, parts: PlanPart[], step = 0, lossSlot = 0): SequencePlan {
    this.checkUsable();
    checkCarry(batch.initialHidden, batch.batchSize, this.buffers.carriedBatchSize);
    const device = this.context.device;
    // Forward-only runs use evaluation plans: no gradient buffers, nothing recorded past the loss.
    const plan = this.planFor(batch.timeSteps, batch.batchSize, parts.includes('backward') ? 'train' : 'evaluate');
    const H = this.config.hiddenSize;
    const B = batch.batchSize;
    const initial = batch.initialHidden;
    if (initial === 'carry' && this.buffers.carriedBatchSize !== B) {
      throw new InvalidArgumentError(
        'batch.initialHidden',
        this.buffers.carriedBatchSize === 0
          ? "'carry' given but no earlier run left a state to carry"
          : `'carry' given with batchSize ${B}, but the carried state has batch size ${this.buffers.carriedBatchSize}`,
      );
    }

    writeElements(device, plan.inputs, 0, batch.tokens ?? batch.inputs!);
    if (batch.targets) writeElements(device, plan.targets, 0, batch.targets);
    if (batch.targetValues) writeElements(device, plan.targetValues!, 0, batch.targetValues);
    if (parts.includes('loss')) plan.setLoss(lossSlot, batch.countedTargets);
    // Dropout in training runs only; evaluation (forward only) uses every unit.
    const training = parts.includes('backward');
    if (this.config.dropout > 0 && this.config.layers > 1) {
      const run = this.trainingRuns;
      const keys = Array.from({ length: this.config.layers - 1 }, (_, k) => dropoutKey(this.config.seed, run, k));
      plan.setDropout(keys, training ? this.config.dropout : 0);
      if (training) {
        this.lastDropout = { keys, count: batch.timeSteps * B * H };
        this.trainingRuns++;
      }
    }
    if (parts.includes('update')) {
      plan.setOptimizerValues(optimizerStepValues(this.config.optimizer, step, this.learningRateAt(step), this.layout.totalLength));
    }

    const finalStates = this.buffers.finalStatesFor(B);
    const stateBytes = B * H * 4;
    const label = `run T=${batch.timeSteps} B=${B}`;
    const encoder = device.createCommandEncoder({ label });
    // Initial states of every layer: given, carried from the last run, or zero.
    plan.layers.forEach((layer, k) => {
      const cells = layer.cellStates;
      if (initial === 'carry') {
        encoder.copyBufferToBuffer(finalStates.hidden, k * stateBytes, layer.hiddenStates, 0, stateBytes);
        if (cells) encoder.copyBufferToBuffer(finalStates.cell!, k * stateBytes, cells.buffer, cells.offset * 4, stateBytes);
        for (const row of batch.resetRows ?? []) {
          encoder.clearBuffer(layer.hiddenStates, row * H * 4, H * 4);
          if (cells) encoder.clearBuffer(cells.buffer, cells.offset * 4 + row * H * 4, H * 4);
        }
        return;
      }
      if (initial instanceof Float32Array) writeElements(device, layer.hiddenStates, 0, initial.subarray(k * B * H, (k + 1) * B * H));
      else encoder.clearBuffer(layer.hiddenStates, 0, stateBytes);
      if (cells && batch.initialCell) writeElements(device, cells.buffer, cells.offset, batch.initialCell.subarray(k * B * H, (k + 1) * B * H));
      else if (cells) encoder.clearBuffer(cells.buffer, cells.offset * 4, stateBytes);
    });
    if (parts.includes('backward')) encoder.clearBuffer(this.buffers.gradients);
    plan.encode(encoder, parts, label);
    // Final states of every layer, for reading and for 'carry': h_{T−1} (and c_{T−1}), or with
    // lengths each sequence's own h_{lengths[b]−1}, one row at a time.
    const rowBytes = H * 4;
    const copyFinal = (source: GPUBuffer, sourceOffsetBytes: number, target: GPUBuffer, k: number) => {
      if (!batch.lengths) {
        encoder.copyBufferToBuffer(source, sourceOffsetBytes + batch.timeSteps * stateBytes, target, k * stateBytes, stateBytes);
        return;
      }
      for (let b = 0; b < B; b++) {
        encoder.copyBufferToBuffer(source, sourceOffsetBytes + batch.lengths[b] * stateBytes + b * rowBytes, target, k * stateBytes + b * rowBytes, rowBytes);
      }
    };
    plan.layers.forEach((layer, k) => {
      copyFinal(layer.hiddenStates, 0, finalStates.hidden, k);
      if (layer.cellStates) copyFinal(layer.cellStates.buffer, layer.cellStates.offset * 4, finalStates.cell!, k);
    });
    device.queue.submit([encoder.finish()]);
    this.lastPlan = plan;
    if (plan.mode === 'train') this.lastTrainingPlan = plan;
    return plan;
  }

  private planFor(timeSteps: number, batchSize: number, mode: PlanMode): SequencePlan {
    const key = `${mode} ${timeSteps}x${batchSize}`;
    let plan = this.plans.get(key);
    if (plan) {
      // Most recently used last.
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    checkBatchFitsDevice(this.config, timeSteps, batchSize, mode === 'train', this.context.limits);
    plan = releaseOnFailure(this.context.device, () => new SequencePlan(this.kernels, this.config, this.layout, this.buffers, timeSteps, batchSize, mode));
    this.plans.set(key, plan);
    if (this.plans.size > PLANS_KEPT) {
      const [oldestKey, oldest] = this.plans.entries().next().value!;
      this.plans.delete(oldestKey);
      oldest.destroy();
      if (this.lastPlan === oldest) this.lastPlan = undefined;
      if (this.lastTrainingPlan === oldest) this.lastTrainingPlan = undefined;
    }
    return plan;
  }

  /** Dispatches one training step records, and how they split into the parts of the step. */
  dispatchesPerStep(timeSteps: number, batchSize: number): Record<PlanPart | 'total', number> {
    this.checkUsable();
    checkBatchShape(timeSteps, batchSize);
    const plan = this.planFor(timeSteps, batchSize, 'train');
    return {
      forward: plan.partSize('forward'),
      loss: plan.partSize('loss'),
      backward: plan.partSize('backward'),
      update: plan.partSize('update'),
      total: plan.dispatchCount,
    };
  }

  private async readHistory(history: GPUBuffer, runIndex: number, what: string): Promise<number> {
    this.checkUsable();
    if (this.lossWrites - runIndex > LOSS_HISTORY_LENGTH) {
      throw new Error(`The ${what} of run ${runIndex} is no longer held: only the last ${LOSS_HISTORY_LENGTH} runs' values stay on the GPU.`);
    }
    const [value] = await readFloats(this.context.device, history, runIndex % LOSS_HISTORY_LENGTH, 1);
    this.context.throwIfFaulted();
    return value;
  }

  /** Training steps whose update was skipped because their loss or gradients were not finite. */
  async readSkippedSteps(): Promise<number> {
    this.checkUsable();
    const words = new Uint32Array(await readWords(this.context.device, this.buffers.guard, GUARD_SKIPPED_STEPS, 1));
    return words[0];
  }

  /** The final hidden states [L, B, H] of the latest run. */
  async readFinalHidden(): Promise<Float32Array> {
    return this.readFinalStates('hidden');
  }

  /** LSTM: the final cell states [L, B, H] of the latest run. */
  async readFinalCell(): Promise<Float32Array> {
    if (this.config.cell !== 'lstm') throw new Error(`A '${this.config.cell}' model has no cell state.`);
    return this.readFinalStates('cell');
  }

  private async readFinalStates(which: 'hidden' | 'cell'): Promise<Float32Array> {
    this.checkUsable();
    const batch = this.buffers.carriedBatchSize;
    if (batch === 0) throw new Error('No run yet: there are no final states to read.');
    const buffer = this.buffers.finalStatesFor(batch)[which]!;
    return readFloats(this.context.device, buffer, 0, this.config.layers * batch * this.config.hiddenSize);
  }

  /** Gradients of the loss with respect to the initial states [L, B, H] (hidden, and cell for LSTM), from the latest backward pass. */
  async readInitialStateGradients(): Promise<{ hidden: Float32Array; cell?: Float32Array }> {
    this.checkUsable();
    const plan = this.lastTrainingPlan;
    if (!plan) throw new Error('No backward pass yet: there are no state gradients to read.');
    const size = plan.batchSize * this.config.hiddenSize;
    const device = this.context.device;
    const hidden = new Float32Array(this.config.layers * size);
    const cell = this.config.cell === 'lstm' ? new Float32Array(this.config.layers * size) : undefined;
    await Promise.all(
      plan.layers.map(async (layer, k) => {
        const initial = layer.initialStateGradient;
        hidden.set(await readFloats(device, initial.buffer, initial.offset, size), k * size);
        if (cell && layer.cellGradients) cell.set(await readFloats(device, layer.cellGradients.buffer, layer.cellGradients.offset, size), k * size);
      }),
    );
    return cell ? { hidden, cell } : { hidden };
  }

  /** Parameters by PyTorch state_dict name (row-major float32). */
  readParameters(): Promise<Record<string, Float32Array>> {
    return this.readFlat(this.buffers.parameters);
  }

  /** Gradients of the latest trainStep / computeGradients, by parameter name. */
  readGradients(): Promise<Record<string, Float32Array>> {
    return this.readFlat(this.buffers.gradients);
  }

  /**
   * The dropout masks of the latest training run, one [T·B·H] per layer boundary
   * (1/(1 − p) where kept, 0 where dropped), reproduced on the CPU; empty without dropout.
   */
  lastDropoutMasks(): Float32Array[] {
    return this.lastDropout.keys.map((key) => dropoutMask(key, this.lastDropout.count, this.config.dropout));
  }

  /** The top layer's hidden states [T+1, B, H] of the latest run (slot 0 = initial state), for inspection and tests. */
  async readHiddenStates(): Promise<Float32Array> {
    this.checkUsable();
    const plan = this.lastPlan;
    if (!plan) throw new Error('No run yet: there are no hidden states to read.');
    return readFloats(this.context.device, plan.topLayer.hiddenStates, 0, (plan.timeSteps + 1) * plan.batchSize * this.config.hiddenSize);
  }

  private async readFlat(buffer: GPUBuffer): Promise<Record<string, Float32Array>> {
    this.checkUsable();
    const flat = await readFloats(this.context.device, buffer, 0, this.layout.totalLength);
    this.context.throwIfFaulted();
    return Object.fromEntries(this.layout.views.map((view) => [view.name, flat.slice(view.offset, view.offset + view.length)]));
  }

  /**
   * Replaces parameters by name. Every name must be known and every array the
   * right length and finite; all are checked before anything is written, so a
   * bad call leaves the model as it was. Names not given keep their values.
   */
  writeParameters(values: Record<string, ArrayLike<number>>): void {
    this.checkUsable();
    const checked = checkParameterValues(values, this.layout);
    for (const { view, data } of checked) writeElements(this.context.device, this.buffers.parameters, view.offset, data);
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error('This model was disposed; create a new one.');
    this.context.throwIfFaulted();
  }

  /** Frees every GPU buffer the model made. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const plan of this.plans.values()) plan.destroy();
    this.plans.clear();
    this.buffers.destroy();
  }
}
