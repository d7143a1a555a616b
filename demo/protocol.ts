/**
 * The messages between the demo page (main.ts) and the training worker
 * (training-worker.ts). Both sides import these types; nothing else crosses.
 *
 *   page → worker: train, pause, reset, set-sampling, set-learning-rate, sample,
 *                  save, load, recover, simulate-device-loss
 *   worker → page: ready | unavailable, then stage, model, memory, training,
 *                  progress, validation, checkpoint, paused, sample, sample-error,
 *                  saved, learning-rate, reset, device-lost, recovered, error
 *
 * Messages are handled in order, one at a time, except `pause`,
 * `set-sampling`, `set-learning-rate` and `simulate-device-loss`, which act at
 * once (the worker checks them between steps).
 *
 * Device loss: the worker keeps the latest checkpoint of its model in memory
 * (RnnModel.saveCheckpoint: weights, optimizer moments, step count), taken when
 * a model is created or loaded, every CHECKPOINT_EVERY steps and at each pause.
 * When its GPU context faults (the device is lost, or an uncaptured WebGPU
 * error) it stops, says `device-lost`, and on `recover` creates a new context,
 * restores the model from that checkpoint and says `recovered`.
 */
import type { CellType, GpuMemory } from '../src/index.ts';

export type OptimizerName = 'adam' | 'sgd';

export type SaveKind = 'checkpoint' | 'weights';

/** One logged loss: the loss of the batch at `step` (training) or on held-out data after it (validation). */
export interface LossPoint {
  step: number;
  loss: number;
}

/** The curves a run has drawn so far; a checkpoint carries them in its metadata. */
export interface LossHistory {
  training: LossPoint[];
  validation: LossPoint[];
}

/** What fixes a model's shape and optimizer; locked while a model exists (Reset to change). */
export interface ModelSettings {
  cell: CellType;
  layers: number;
  hiddenSize: number;
  optimizer: OptimizerName;
}

/** What may change between runs of one model. */
export interface TrainingSettings {
  timeSteps: number;
  batchSize: number;
  learningRate: number;
}

export type DataSource =
  /** Character-level language modelling on a text; its last tenth is held out for validation. */
  | { kind: 'text'; text: string }
  /** The copy-memory task, generated in the worker (see training-data.ts): remember `symbols` symbols. */
  | { kind: 'copy-memory'; symbols: number };

export type TaskKind = DataSource['kind'];

export interface SampleSettings {
  /** Text the sample continues; empty: the source's default prime. */
  prime: string;
  temperature: number;
  seed: number;
}

export type PageMessage =
  | { type: 'train'; model: ModelSettings; training: TrainingSettings; source: DataSource; sampling: SampleSettings }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'set-sampling'; sampling: SampleSettings }
  /** The base learning rate from the next step on, also while training (RnnModel.setLearningRate). */
  | { type: 'set-learning-rate'; learningRate: number }
  | { type: 'sample'; sampling: SampleSettings }
  /**
   * 'checkpoint': the whole training state (weights, optimizer moments, step, loss
   * history), to resume later; 'weights': the weights alone, for PyTorch or inference.
   */
  | { type: 'save'; what: SaveKind }
  /**
   * A safetensors file: a checkpoint resumes with its own optimizer and step; a weights
   * file starts at step 0 with `optimizer` and `learningRate`.
   */
  | { type: 'load'; fileName: string; bytes: ArrayBuffer; optimizer: OptimizerName; learningRate: number; sampling: SampleSettings }
  /** After `device-lost`: a new GPU context, and the model restored from the last checkpoint. */
  | { type: 'recover' }
  /** Fault injection, to try recovery: destroys the worker's GPU device (device.destroy()), as a driver reset would. */
  | { type: 'simulate-device-loss' };

/** The model the worker holds. */
export interface ModelInfo {
  cell: CellType;
  layers: number;
  hiddenSize: number;
  optimizer: OptimizerName;
  vocabularySize: number;
  /** PyTorch state_dict names and shapes (RnnModel.parameterShapes). */
  parameterShapes: Record<string, number[]>;
  task: TaskKind;
  /** 'new': created on this page; 'file': loaded from `fileName`. */
  origin: 'new' | 'file';
  fileName?: string;
  /** Settings stored in a loaded file by this demo, to restore the controls. */
  savedTraining?: Partial<TrainingSettings>;
  /** Copy task: symbols remembered, as stored in a loaded file. */
  copySymbols?: number;
  /** Optimizer steps taken: 0 for a new model or a weights file, the checkpoint's step for a checkpoint. */
  step: number;
  /** A loaded file: 'checkpoint' (resumes training where it stopped) or 'weights'. */
  fileKind?: SaveKind;
  /** A loaded checkpoint's loss curves, as saved. */
  history?: LossHistory;
  /** The base learning rate the model trains with now. */
  learningRate: number;
}

/** A horizontal line on the loss chart: a loss worth comparing with. */
export interface ReferenceLine {
  loss: number;
  label: string;
}

export interface Sample {
  prime: string;
  /** The generated characters (the prime not included). */
  text: string;
  temperature: number;
  seed: number;
  /** Optimizer steps of the model that wrote it. */
  step: number;
  /** When it was written: during training, at a pause, after loading a file, or on request. */
  origin: 'training' | 'paused' | 'loaded' | 'requested';
}

export interface AdapterInfo {
  /** context.description: kind, vendor, architecture, description and feature level. */
  description: string;
  vendor: string;
  architecture: string;
  featureLevel: string;
  /** A software adapter (SwiftShader, llvmpipe, WARP, a fallback adapter): the GPU work runs on the CPU. */
  software: boolean;
}

/** Slow first-run work the page shows while it happens. */
export type Stage = 'compiling' | 'first-step';

/** 'device-lost': GPUDevice.lost resolved; 'gpu-error': an uncaptured WebGPU error faulted the context. */
export type FaultCause = 'device-lost' | 'gpu-error';

export type WorkerMessage =
  | { type: 'ready'; adapter: AdapterInfo }
  /** 'compiling': the model's GPU kernels are being compiled; 'first-step': the training step is recorded and run once. */
  | { type: 'stage'; stage: Stage }
  /** The worker has no WebGPU, or no adapter: the demo cannot run. */
  | { type: 'unavailable'; message: string }
  /** A model was created or loaded; it replaces any earlier one. */
  | { type: 'model'; info: ModelInfo }
  /**
   * The GPU memory the model holds (RnnModel.gpuMemory: its buffers as allocated, and the
   * plans of the batch shapes it has run); sent after a new model and whenever it changes.
   */
  | { type: 'memory'; memory: GpuMemory }
  /** Training started (or resumed) at `step` on data described by `description`. */
  | { type: 'training'; step: number; references: ReferenceLine[]; description: string }
  | { type: 'progress'; step: number; loss: number; tokensPerSecond: number }
  /** Loss on held-out data; `recallAccuracy` (copy task): the share of recalled symbols predicted right. */
  | { type: 'validation'; step: number; loss: number; recallAccuracy?: number }
  /** Training stopped: no GPU work is queued any more. */
  | { type: 'paused'; step: number }
  /** The worker now holds an in-memory checkpoint of the model at `step`. */
  | { type: 'checkpoint'; step: number }
  | { type: 'sample'; sample: Sample }
  | { type: 'sample-error'; message: string }
  | { type: 'saved'; what: SaveKind; fileName: string; bytes: ArrayBuffer }
  /** The model trains with this base learning rate from its next step on. */
  | { type: 'learning-rate'; learningRate: number }
  | { type: 'reset' }
  /**
   * The GPU context can no longer run anything; the worker stopped. `step`: the model's
   * step when it happened; `checkpointStep`: the step of the checkpoint `recover` restores
   * (none: no model, or no checkpoint yet). `message`: the library's error.
   */
  | { type: 'device-lost'; cause: FaultCause; step?: number; checkpointStep?: number; message: string }
  /** A new GPU context; `step` and `info`: the model restored from the checkpoint (none: no model). */
  | { type: 'recovered'; adapter: AdapterInfo; step?: number; info?: ModelInfo }
  /**
   * A request failed; `fatal`: the GPU is gone and the page must be reloaded. Otherwise the model is as it was.
   * `message`: in plain words, naming the file if there is one and what was kept; `detail`: the library's own error.
   */
  | { type: 'error'; action: PageMessage['type'] | 'startup'; message: string; detail?: string; fatal: boolean };
