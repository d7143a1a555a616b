/**
 * A recurrent language model / sequence classifier trained on the GPU.
 * One training step = forward over time, loss, BPTT, optimizer update, recorded
 * into one command encoder and submitted once; the loss stays on the GPU until
 * asked for.
 */
import { readFloats, writeElements } from '../device/buffers.ts';
import type { GpuContext } from '../device/gpu-context.ts';
import type { DispatchTiming } from '../kernels/dispatch-profiler.ts';
import { dropoutBetweenLayers, KernelSet } from '../kernels/kernel-set.ts';
import { type EpochOptions, trainOneEpoch } from '../training/epoch.ts';
import { isPlainObject, InvalidArgumentError } from '../validation.ts';
import { checkFileFitsConfig } from './file-checks.ts';
import { checkBatchShape, checkContext, checkEpochArguments, checkEpochBatches, checkExtraMetadata, checkFromWeightsArguments, checkLearningRate, checkParameterValues, checkStepNumber } from './options.ts';
import { releaseOnFailure } from './release-on-failure.ts';
import { checkModelFitsDevice } from './size-limits.ts';
import { type SequenceBatch, validateBatch } from './batch.ts';
import { type ResolvedConfig, type RnnModelConfig, resolveConfig } from './config.ts';
import { dropoutMask } from './dropout.ts';
import { checkGeneration, type GenerateOptions, generateTokens } from './generation.ts';
import { type GpuMemory, gpuMemoryOf } from './gpu-memory.ts';
import { initialParameters } from './initialization.ts';
import { kernelsNeededBy } from './kernels-needed.ts';
import { decodeModelFile } from './model-file.ts';
import { LOSS_HISTORY_LENGTH, ModelBuffers } from './model-buffers.ts';
import { checkedParameters, decodeCheckpoint, encodeCheckpoint, encodeWeights, fullConfigOf, optimizerStatesFitting, parameterShapesOf, parametersFitting } from './model-io.ts';
import { type ParameterLayout, parameterLayout, toLayoutNames } from './parameter-layout.ts';
import type { PlanPart } from './sequence-plan.ts';
import { type RunOptions, type StepResult, StepRunner, streamOf } from './step-runner.ts';

export { NonFiniteStepError, type RunOptions, type StepResult } from './step-runner.ts';
export type { EpochProgress } from '../training/epoch.ts';

export class RnnModel {
  readonly context: GpuContext;
  readonly config: Readonly<ResolvedConfig>;
  readonly layout: ParameterLayout;
  private readonly kernels: KernelSet;
  private readonly buffers: ModelBuffers;
  /** Sets up, records and submits each run; holds the training counters and the plans. */
  private readonly runner: StepRunner;
  private disposed = false;

  private constructor(context: GpuContext, config: ResolvedConfig, kernels: KernelSet) {
    this.context = context;
    this.config = config;
    this.kernels = kernels;
    this.layout = parameterLayout(config);
    this.buffers = new ModelBuffers(context.device, config, this.layout, initialParameters(config, this.layout));
    this.runner = new StepRunner(context, kernels, config, this.layout, this.buffers, () => this.checkUsable());
  }

  /** Creates a model with PyTorch-style initialization from `config.seed`. */
  static async create(context: GpuContext, config: RnnModelConfig): Promise<RnnModel> {
    checkContext(context);
    const resolved = resolveConfig(config);
    checkModelFitsDevice(resolved, context.limits);
    context.throwIfFaulted();
    const kernels = await KernelSet.load(context.device);
    await kernels.ensure(kernelsNeededBy(resolved, kernels.cpuAdapter, kernels.llvmpipe));
    return releaseOnFailure(context.device, () => new RnnModel(context, resolved, kernels));
  }

  /**
   * A model from a safetensors file written by saveWeights (or a PyTorch
   * state_dict of nn.RNN / LSTM / GRU + nn.Linear, whose architecture is inferred
   * from the shapes; `inputKind` says whether it takes tokens, default 'tokens').
   * `options.optimizer` adds what a weights file does not hold (default Adam at 0.002);
   * training settings such as dropout or gradient clipping are not in it either: for
   * those create the model with its full config and `loadWeights`, or keep a checkpoint
   * (saveCheckpoint), which holds them all. `bytes` may be an ArrayBuffer (file.arrayBuffer()).
   */
  static async fromWeights(
    context: GpuContext,
    bytes: Uint8Array | ArrayBuffer,
    options: { optimizer?: RnnModelConfig['optimizer']; inputKind?: 'tokens' | 'dense' } = {},
  ): Promise<RnnModel> {
    checkFromWeightsArguments(context, options);
    const file = decodeModelFile(bytes, { inputKind: options.inputKind });
    // The file's tensors against the architecture it claims, before any model is built.
    checkFileFitsConfig(file.config, file);
    const model = await RnnModel.create(context, { ...file.config, ...(options.optimizer ? { optimizer: options.optimizer } : {}) });
    try {
      model.writeParameters(checkedParameters(file.parameters, model.layout));
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
    return encodeWeights(this.config, this.layout, await this.readFlat(this.buffers.parameters), extraMetadata);
  }

  /**
   * Replaces every parameter with those of a safetensors file. The file must fit
   * this model exactly (architecture, names, shapes); anything that does not is
   * reported in one SafetensorsError and the model is left as it was.
   */
  loadWeights(bytes: Uint8Array | ArrayBuffer): void {
    this.checkUsable();
    this.writeParameters(parametersFitting(decodeModelFile(bytes, { inputKind: this.config.inputKind }), this.config, this.layout));
  }

  /** The configuration that recreates this model (architecture, optimizer, schedule, clipping, dropout, seed). */
  get fullConfig(): RnnModelConfig {
    return fullConfigOf(this.config);
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
    const parameters = await this.readFlat(this.buffers.parameters);
    const { firstState, secondState } = this.buffers;
    const states = {
      first: firstState && (await this.readFlat(firstState)),
      second: secondState && (await this.readFlat(secondState)),
    };
    return encodeCheckpoint(this.config, this.layout, parameters, states, { ...this.runner.counters }, extraMetadata);
  }

  /** A model that continues training from a checkpoint written by saveCheckpoint. */
  static async fromCheckpoint(context: GpuContext, bytes: Uint8Array | ArrayBuffer): Promise<RnnModel> {
    checkContext(context);
    const { config, counters, file } = decodeCheckpoint(bytes);
    const model = await RnnModel.create(context, config);
    try {
      const parameters = checkedParameters(file.parameters, model.layout);
      const states = optimizerStatesFitting(file.optimizerState, model.config, model.layout);
      model.writeParameters(parameters);
      for (const [buffer, flat] of [[model.buffers.firstState, states.first], [model.buffers.secondState, states.second]] as const) {
        if (buffer && flat) writeElements(context.device, buffer, 0, flat);
      }
    } catch (error) {
      model.dispose();
      throw error;
    }
    Object.assign(model.runner.counters, counters);
    return model;
  }

  /** Optimizer steps taken. */
  get stepCount(): number {
    return this.runner.counters.optimizerStep;
  }

  /** Parameter names (PyTorch state_dict names) and shapes. */
  get parameterShapes(): Record<string, number[]> {
    return parameterShapesOf(this.layout);
  }

  /**
   * One training step: forward, loss, BPTT and the optimizer update, one submission.
   * 'carry' continues the 'training' stream (or `options.stream`), which no other
   * kind of run touches by default.
   */
  trainStep(batch: SequenceBatch, options: RunOptions = {}): StepResult {
    return this.runner.run(batch, ['forward', 'loss', 'backward', 'update'], streamOf(options, 'trainStep'));
  }

  /**
   * Forward pass and loss only, in evaluation mode (no dropout): no gradient
   * buffer is touched and nothing is updated. For validation loss. Carries its own
   * stream, 'evaluation': validating between training chunks leaves training's
   * carried state as it was.
   */
  evaluate(batch: SequenceBatch, options: RunOptions = {}): StepResult {
    return this.runner.run(batch, ['forward', 'loss'], streamOf(options, 'evaluate'));
  }

  /**
   * One training step per batch (an epoch, when given TextBatches), each from zero
   * states unless the batch says otherwise. Every `progressEvery` steps (default 10)
   * it waits for that step's loss and calls `onProgress`, which also lets a page or
   * worker stay responsive; the epoch's mean loss is read back every half loss ring.
   * It runs on the per-batch core of train() (src/training/train.ts), which char-rnn
   * streams with carried state, validation and checkpoints use.
   */
  async trainEpoch(batches: Iterable<SequenceBatch>, options: EpochOptions = {}): Promise<{ steps: number; meanLoss: number }> {
    checkEpochArguments(batches, options);
    checkEpochBatches(batches, this.config);
    const history = {
      runsWritten: () => this.runner.counters.lossWrites,
      read: (first: number, count: number) => this.runner.readLossHistory(first, count),
      length: LOSS_HISTORY_LENGTH,
    };
    return trainOneEpoch(this, history, batches, options);
  }

  /**
   * Forward, loss and BPTT without updating: the gradients are then readable with
   * readGradients() and their norm with the result's gradientNorm(). Carries its own stream, 'gradients'; pass { stream: 'training' }
   * for the gradients training's next step would see (which moves that stream on).
   */
  computeGradients(batch: SequenceBatch, options: RunOptions = {}): StepResult {
    return this.runner.run(batch, ['forward', 'loss', 'backward', 'gradientNorm'], streamOf(options, 'computeGradients'));
  }

  /**
   * Forward pass only; returns logits [T·B, V] (time-major) and the final hidden states
   * [L, B, H]. Carries its own stream, 'prediction': consecutive predict calls with
   * 'carry' continue each other, and training's carried state is left as it was.
   */
  async predict(batch: SequenceBatch, options: RunOptions = {}): Promise<{ logits: Float32Array; finalHidden: Float32Array }> {
    const stream = streamOf(options, 'predict');
    const plan = this.runner.submit(validateBatch(batch, this.config, false), ['forward'], { stream });
    const [logits, finalHidden] = await Promise.all([plan.readLogits(), this.readFinalHidden()]);
    return { logits, finalHidden };
  }

  /** The learning rate step t (from 1) uses: the base rate under the schedule. */
  learningRateAt(step: number): number {
    checkStepNumber(step);
    return this.runner.learningRateAt(step);
  }

  /**
   * Generates `length` tokens after `primeTokens`, entirely on the GPU: the prime
   * is run through the network once, then each step runs one position forward,
   * draws the next token from softmax(logits / temperature) over the topK most
   * likely (sample_token.wgsl) and feeds it back, the states carried on the GPU.
   * All steps are one submission and the tokens one readback. Token models only.
   * The final states are left on the 'generation' stream (or `options.stream`, batch
   * size 1); training's carried state is left as it was.
   */
  async generate(options: GenerateOptions): Promise<Uint32Array> {
    this.checkUsable();
    if (this.config.bidirectional) {
      throw new InvalidArgumentError('generate', 'called on a bidirectional model; its reverse direction reads each sequence from its end, so it cannot draw one token after another');
    }
    const request = checkGeneration(this.config, options);
    const stream = streamOf(options, 'generate');
    const { primeIds } = request;
    await this.kernels.ensure(['sampleToken']);
    // The model may have been disposed while the sampler compiled: refuse before anything is submitted.
    this.checkUsable();
    // The prime but its last token, run once; the last token is the first generation step's input.
    if (primeIds.length > 1) this.runner.submit(validateBatch({ timeSteps: primeIds.length - 1, batchSize: 1, inputTokens: primeIds.subarray(0, -1) }, this.config, false), ['forward'], { stream });
    const step = this.runner.plans.planFor(1, 1, 'evaluate');
    const dropoutLayers = dropoutBetweenLayers(this.config) ? this.config.layers - 1 : 0;
    const tokens = await generateTokens(this.kernels, step, this.buffers.streams.target(stream, 1), request, { fromZero: primeIds.length === 1, dropoutLayers });
    this.context.throwIfFaulted();
    this.runner.lastPlan = step;
    return tokens;
  }

  /** Changes the base learning rate from the next step on. */
  setLearningRate(learningRate: number): void {
    this.config.optimizer.learningRate = checkLearningRate(learningRate);
  }

  /** Dispatches one training step records, and how they split into the parts of the step. */
  dispatchesPerStep(timeSteps: number, batchSize: number): Record<PlanPart | 'total', number> {
    this.checkUsable();
    checkBatchShape(timeSteps, batchSize);
    const plan = this.runner.plans.planFor(timeSteps, batchSize, 'train');
    return {
      forward: plan.partSize('forward'),
      loss: plan.partSize('loss'),
      backward: plan.partSize('backward'),
      update: plan.partSize('update'),
      total: plan.dispatchCount,
    };
  }

  /**
   * @internal The bench's profiling hook, not part of the API: one trainStep (the same work,
   * results and counters) with each dispatch in a pass of its own timed by timestamp queries;
   * needs a context created with { timestampQueries: true } on an adapter that has them.
   */
  profileTrainStep(batch: SequenceBatch, options: RunOptions = {}): Promise<{ step: StepResult; dispatches: DispatchTiming[] }> {
    return this.runner.profile(batch, ['forward', 'loss', 'backward', 'update'], streamOf(options, 'trainStep'));
  }

  /**
   * The GPU memory this model holds now, from the sizes of the buffers it created:
   * parameters, gradients, optimizer states, histories, carried states, and each
   * kept plan's buffers (one per batch shape and mode: a new shape adds one, the
   * least recently used beyond six is freed). See gpu-memory.ts.
   */
  gpuMemory(): GpuMemory {
    this.checkUsable();
    return gpuMemoryOf(this.buffers.memory(), this.runner.plans.memory());
  }

  /** Training steps whose update was skipped because their loss or gradients were not finite. */
  readSkippedSteps(): Promise<number> {
    return this.runner.readSkippedSteps();
  }

  /**
   * The final hidden states [L, B, H] ([2L, B, H] when bidirectional: l0 forward, l0 reverse, …) of the latest run, whichever kind it was
   * (trainStep, computeGradients, evaluate, predict or generate): what its stream
   * now holds. B is that run's batch size (1 after generate).
   */
  readFinalHidden(): Promise<Float32Array> {
    return this.runner.readFinalStates('hidden');
  }

  /** LSTM: the final cell states [L, B, H] of the latest run (as readFinalHidden). */
  async readFinalCell(): Promise<Float32Array> {
    if (this.config.cell !== 'lstm') throw new Error(`A '${this.config.cell}' model has no cell state.`);
    return this.runner.readFinalStates('cell');
  }

  /** Gradients of the loss with respect to the initial states [L, B, H] ([2L, B, H] when bidirectional) (hidden, and cell for LSTM), from the latest backward pass. */
  readInitialStateGradients(): Promise<{ hidden: Float32Array; cell?: Float32Array }> {
    return this.runner.readInitialStateGradients();
  }

  /** Parameters by PyTorch state_dict name (row-major float32). */
  readParameters(): Promise<Record<string, Float32Array>> {
    return this.readByName(this.buffers.parameters);
  }

  /**
   * Gradients of the latest trainStep / computeGradients, by parameter name. After a
   * trainStep with clipGradientNorm these are the clipped gradients, g · min(1, maxNorm /
   * (‖g‖ + 1e−6)), the ones the update used; the step's gradientNorm() is ‖g‖ before
   * clipping. computeGradients never clips.
   */
  async readGradients(): Promise<Record<string, Float32Array>> {
    this.checkUsable();
    if (!this.runner.gradientsWritten) throw new Error('No backward pass yet: there are no gradients to read (run trainStep or computeGradients first).');
    return this.readByName(this.buffers.gradients);
  }

  /**
   * The dropout masks of the latest trainStep or computeGradients, one [T·B·H] ([T·B·2H] when bidirectional) per layer boundary
   * (1/(1 − p) where kept, 0 where dropped), reproduced on the CPU; empty without dropout.
   */
  lastDropoutMasks(): Float32Array[] {
    const { keys, count } = this.runner.lastDropout;
    return keys.map((key) => dropoutMask(key, count, this.config.dropout));
  }

  /** The top layer's hidden states [T+1, B, H] of the latest run (slot 0 = initial state; bidirectional: its forward direction's), for inspection and tests. */
  readHiddenStates(): Promise<Float32Array> {
    return this.runner.readHiddenStates();
  }

  private async readFlat(buffer: GPUBuffer): Promise<Float32Array> {
    this.checkUsable();
    const flat = await readFloats(this.context.device, buffer, 0, this.layout.totalLength);
    this.context.throwIfFaulted();
    return flat;
  }

  private async readByName(buffer: GPUBuffer): Promise<Record<string, Float32Array>> {
    const flat = await this.readFlat(buffer);
    return Object.fromEntries(this.layout.views.map((view) => [view.name, flat.slice(view.offset, view.offset + view.length)]));
  }

  /**
   * Replaces parameters by name. Every name must be known and every array the
   * right length and finite; all are checked before anything is written, so a
   * bad call leaves the model as it was. Names not given keep their values.
   * Names as readParameters gives them (weight_ih_l0, weight) or as files and
   * PyTorch modules do (rnn.weight_ih_l0, head.weight).
   */
  writeParameters(values: Record<string, ArrayLike<number>>): void {
    this.checkUsable();
    // Module names (rnn.weight_ih_l0, head.weight) to layout names; anything but a plain object is refused below, naming it.
    const byLayoutName = isPlainObject(values)
      ? toLayoutNames(values, (message) => {
          throw new InvalidArgumentError('parameters', message);
        })
      : values;
    const checked = checkParameterValues(byLayoutName, this.layout);
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
    this.runner.plans.destroy();
    this.buffers.destroy();
  }
}
