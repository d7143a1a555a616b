/**
 * webgpu-rnn: recurrent networks trained on the GPU through WebGPU.
 *
 *   const context = await createGpuContext();
 *   const model = await RnnModel.create(context, { vocabularySize: 65, hiddenSize: 128 });
 *   const step = model.trainStep({ timeSteps: 32, batchSize: 32, inputTokens, targets });
 *   console.log(await step.loss());
 */
export { createGpuContext, GpuContext, type GpuContextOptions } from './device/gpu-context.ts';
export {
  ADAPTER_ENV_VARIABLE,
  type AdapterPreference,
  type ChosenAdapter,
  describeAdapter,
  type FeatureLevel,
} from './device/adapter-choice.ts';
export { IGNORE_INDEX, type SequenceBatch } from './model/batch.ts';
export type { CellType, LossType, Nonlinearity, ResolvedConfig, RnnModelConfig } from './model/config.ts';
export { GATES } from './model/config.ts';
export { type OptimizerConfig, type OptimizerType, type ScheduleConfig, scheduledLearningRate } from './model/optimizer.ts';
export { type EpochProgress, NonFiniteStepError, RnnModel, type StepResult } from './model/rnn-model.ts';
export type { EpochOptions } from './training/epoch.ts';
export type { GpuMemory, PlanMemory } from './model/gpu-memory.ts';
export { CharacterVocabulary } from './text/vocabulary.ts';
export { TextBatches, type TokenBatch } from './text/text-batches.ts';
export { sampleFromLogits, sampleText, type SampleOptions } from './text/sampling.ts';
export { shuffledOrder, splitText } from './text/data-split.ts';
export { seededRandom } from './model/random.ts';
export { InvalidArgumentError } from './validation.ts';
export { SafetensorsError, decodeSafetensors, encodeSafetensors, type SafetensorsFile, type SafetensorsTensor } from './io/safetensors.ts';
export { MODEL_FORMAT, MODEL_FORMAT_VERSION } from './model/model-file.ts';
export { DEFAULT_STREAMS, type RunOptions } from './model/step-runner.ts';
export type { GenerateOptions } from './model/generation.ts';
export { evaluateStreams, type EvaluateStreamsOptions, train, type LossPoint, type StreamBatches, type TrainOptions, type TrainProgress, type TrainResult, type ValidationReport } from './training/train.ts';
export { lossChartSvg, lossChartText, type LossCurves } from './training/loss-chart.ts';
export { exportOnnx, ONNX_IR_VERSION, ONNX_OPSET_VERSION, type OnnxExportOptions } from './io/onnx-export.ts';
export { importTfjsModel, readTfjsModel, type ImportedTfjsModel, type TfjsModelFiles } from './io/tfjs-import.ts';
