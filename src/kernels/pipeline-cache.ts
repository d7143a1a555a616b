/**
 * Compute pipelines, created once per device and kept by a key that covers
 * everything that changes the compiled shader: the kernel and its override
 * constants. WGSL compile errors are reported with line:column and the line.
 */
import type { BindingAccess, Bindings } from './bindings.ts';
import { KERNELS, type KernelName } from './registry.ts';
import { OPERAND_TEXTURE_FORMAT } from './operand-texture-layout.ts';

export type KernelConstants = Record<string, number | boolean>;

export interface Kernel<K extends KernelName = KernelName> {
  name: K;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** The registry's bindings by name (its bind group layout has exactly these). */
  bindings: Bindings;
}

/** The bind group layout entry's resource for each access (bindings.ts). */
function layoutResource(access: BindingAccess): Pick<GPUBindGroupLayoutEntry, 'buffer' | 'storageTexture'> {
  switch (access) {
    case 'read':
      return { buffer: { type: 'read-only-storage' } };
    case 'read-write':
      return { buffer: { type: 'storage' } };
    case 'uniform':
      return { buffer: { type: 'uniform' } };
    case 'texture':
      return { storageTexture: { access: 'read-only', format: OPERAND_TEXTURE_FORMAT, viewDimension: '2d' } };
    case 'texture-write':
      return { storageTexture: { access: 'write-only', format: OPERAND_TEXTURE_FORMAT, viewDimension: '2d' } };
  }
}

function compileErrorReport(source: string, messages: readonly GPUCompilationMessage[]): string {
  const lines = source.split('\n');
  return messages
    .filter((message) => message.type === 'error')
    .map((message) => {
      const line = lines[message.lineNum - 1] ?? '';
      return `  ${message.lineNum}:${message.linePos}: ${message.message}\n    ${line.trim()}`;
    })
    .join('\n');
}

/** Override constants travel as numbers; WGSL bool overrides take 0 or 1. */
function numericConstants(constants: KernelConstants): Record<string, number> {
  return Object.fromEntries(Object.entries(constants).map(([name, value]) => [name, Number(value)]));
}

export class PipelineCache {
  private readonly device: GPUDevice;
  private readonly kernels = new Map<string, Promise<Kernel>>();
  private readonly modules = new Map<string, GPUShaderModule>();

  constructor(device: GPUDevice) {
    this.device = device;
  }

  get<K extends KernelName>(name: K, constants: KernelConstants = {}): Promise<Kernel<K>> {
    const key = `${name} ${JSON.stringify(Object.entries(constants).sort())}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = this.create(name, constants, key);
      kernel.catch(() => this.kernels.delete(key));
      this.kernels.set(key, kernel);
    }
    return kernel as Promise<Kernel<K>>;
  }

  /** Compiles (once per source) and checks the module, reporting WGSL errors with line:column. */
  private async module(name: KernelName): Promise<GPUShaderModule> {
    const spec = KERNELS[name];
    const source = spec.sources.join('\n');
    let module = this.modules.get(source);
    if (!module) {
      module = this.device.createShaderModule({ label: `${name} module`, code: source });
      this.modules.set(source, module);
    }
    const info = await module.getCompilationInfo();
    const report = compileErrorReport(source, info.messages);
    if (report) throw new Error(`Kernel ${name}: WGSL does not compile:\n${report}`);
    return module;
  }

  private async create(name: KernelName, constants: KernelConstants, key: string): Promise<Kernel> {
    const spec = KERNELS[name];
    const module = await this.module(name);
    const layout = this.device.createBindGroupLayout({
      label: `${name} bind group layout`,
      entries: Object.values(spec.bindings as Bindings).map(({ binding, access }) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        ...layoutResource(access),
      })),
    });
    // Synchronous creation inside an error scope pushed and popped with no await in
    // between, so concurrent builds cannot catch each other's errors. (Dawn's Node
    // bindings abort the process in createComputePipelineAsync.)
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({
      label: `${key} pipeline`,
      layout: this.device.createPipelineLayout({ label: `${name} pipeline layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint, constants: numericConstants(constants) },
    });
    const error = await this.device.popErrorScope();
    if (error) throw new Error(`Kernel ${key} failed to build: ${error.message}`);
    return { name, pipeline, layout, bindings: spec.bindings };
  }
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** The pipeline cache of a device (one per device). */
export function pipelineCacheFor(device: GPUDevice): PipelineCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = new PipelineCache(device);
    caches.set(device, cache);
  }
  return cache;
}
