/**
 * The one place that turns an adapter into a ready device: requests the limits
 * the kernels are sized from, and turns device loss and uncaptured errors into
 * errors the engine throws at the next use.
 */
import {
  ADAPTER_ENV_VARIABLE,
  type AdapterPreference,
  type ChosenAdapter,
  describeAdapter,
  featureLevelOf,
  parseAdapterPreference,
} from './adapter-choice.ts';
import { InvalidArgumentError, requireOptions } from '../validation.ts';

export interface GpuContextOptions {
  /** In Node: which adapter to use (default: $WEBGPU_RNN_ADAPTER, else 'auto'). Ignored in browsers. */
  adapter?: AdapterPreference;
  /**
   * Requests the 'timestamp-query' feature where the adapter has it (default false), for
   * profiling a step kernel by kernel (the bench does); `device.features` says whether it
   * was granted. In Node, Dawn's timestamp quantization is also turned off, so that
   * dispatches shorter than its 65.536 µs grain still read their time.
   */
  timestampQueries?: boolean;
}

/** Limits the engine asks for up to what the adapter offers; kernels are sized from the device's values. */
const LIMITS_TO_RAISE = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  // Operand textures (llvmpipe): rows of 1,024 texels, so the height bounds the operands they hold.
  'maxTextureDimension2D',
] as const;

/** The fewest storage buffers a kernel of ours binds in one stage. */
export const STORAGE_BUFFERS_NEEDED = 4;

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: ChosenAdapter;
  /** Keeps the WebGPU instance alive as long as the device (Dawn in Node needs this). */
  private readonly instance: GPU | undefined;
  private fault: Error | undefined;

  constructor(device: GPUDevice, adapter: ChosenAdapter, instance?: GPU) {
    this.device = device;
    this.adapter = adapter;
    this.instance = instance;
    device.lost.then((info) => {
      if (info.reason === 'destroyed' && this.fault) return;
      const message = (info.message || 'no message').trim().replace(/\.+$/, '');
      this.fault = new Error(
        `The GPU device was lost (${info.reason}): ${message}. ` +
          'Models on it can no longer run; create a new context and resume from the last checkpoint (RnnModel.fromCheckpoint).',
      );
    });
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.fault ??= new Error(`WebGPU error: ${error.message}`);
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  get description(): string {
    return describeAdapter(this.adapter);
  }

  /** Throws the first device fault seen so far (device lost, uncaptured validation error). */
  throwIfFaulted(): void {
    if (this.fault) throw this.fault;
  }

  destroy(): void {
    this.fault ??= new Error('The GPU context was destroyed; create a new one.');
    this.device.destroy();
  }
}

function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const name of LIMITS_TO_RAISE) {
    const value = adapter.limits[name];
    if (typeof value === 'number') limits[name] = value;
  }
  return limits;
}

async function chooseAdapter(options: GpuContextOptions): Promise<{ adapter: GPUAdapter; chosen: ChosenAdapter; instance?: GPU }> {
  const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!inNode && typeof navigator !== 'undefined' && navigator.gpu) {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('This browser exposes WebGPU but returned no adapter (navigator.gpu.requestAdapter gave null).');
    const info = adapter.info;
    return {
      adapter,
      instance: navigator.gpu,
      chosen: {
        kind: 'browser',
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
        featureLevel: featureLevelOf(adapter),
      },
    };
  }
  if (!inNode) {
    throw new Error('WebGPU is not available: navigator.gpu is missing. Use a browser with WebGPU (Chrome, Edge, Safari 26, Firefox 141+).');
  }
  const fromEnvironment = process.env[ADAPTER_ENV_VARIABLE];
  const preference =
    options.adapter !== undefined
      ? parseAdapterPreference(options.adapter, 'options.adapter')
      : fromEnvironment
        ? parseAdapterPreference(fromEnvironment, `environment variable ${ADAPTER_ENV_VARIABLE}`)
        : 'auto';
  const { findNodeAdapter, TIMESTAMPS_UNQUANTIZED } = await import('./node-adapters.ts');
  return findNodeAdapter(preference, options.timestampQueries ? [TIMESTAMPS_UNQUANTIZED] : []);
}

/** Creates a GPU context: adapter choice, device with raised limits, fault reporting. */
export async function createGpuContext(options: GpuContextOptions = {}): Promise<GpuContext> {
  requireOptions('options', options, ['adapter', 'timestampQueries'], true);
  if (options.timestampQueries !== undefined && typeof options.timestampQueries !== 'boolean') {
    throw new InvalidArgumentError('options.timestampQueries', `got ${JSON.stringify(options.timestampQueries)}, expected true or false`);
  }
  const { adapter, chosen, instance } = await chooseAdapter(options);
  const offered = adapter.limits.maxStorageBuffersPerShaderStage;
  if (offered < STORAGE_BUFFERS_NEEDED) {
    throw new Error(
      `Adapter ${describeAdapter(chosen)} offers ${offered} storage buffers per shader stage; the engine needs ${STORAGE_BUFFERS_NEEDED}.`,
    );
  }
  const device = await adapter.requestDevice({
    label: 'webgpu-rnn device',
    requiredLimits: requiredLimits(adapter),
    requiredFeatures: options.timestampQueries && adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
  });
  return new GpuContext(device, chosen, instance);
}
