/**
 * Every pipeline the engine uses, built once per device, with workgroup sizes
 * taken from the device's limits, and one function per op that adds its
 * dispatch to a plan. Op functions check sizes; they trust buffers to be large
 * enough (the model allocates them from the same sizes). This module holds the
 * set itself (compilation, kernel lookup, grids); the ops
 * live in one module per kind (matmul-ops, recurrent-cell-ops, sequence-ops,
 * output-ops, optimizer-ops) and are installed as methods of every KernelSet.
 */
import { gridFor, placeholderBuffer } from './dispatch-plan.ts';
import { ELEMENTWISE_WORKGROUP, kernelDefinitions, reductionWorkgroupSize } from './kernel-definitions.ts';
import { isCpuAdapter, isLlvmpipe } from './matmul-choice.ts';
import { matmulOps } from './matmul-ops.ts';
import { optimizerOps } from './optimizer-ops.ts';
import { outputOps } from './output-ops.ts';
import { type Kernel, pipelineCacheFor } from './pipeline-cache.ts';
import type { KernelName } from './registry.ts';
import { recurrentCellOps } from './recurrent-cell-ops.ts';
import { sequenceOps } from './sequence-ops.ts';

export * from './kernel-choice.ts';
export * from './kernel-definitions.ts';
export * from './kernel-uniforms.ts';
export * from './matmul-choice.ts';
export type * from './op-args.ts';

export class KernelSet {
  readonly device: GPUDevice;
  readonly reductionSize: number;
  private readonly kernels: Map<string, Kernel>;

  /** The matmul choices of a CPU adapter (isCpuAdapter) or of a GPU. */
  readonly cpuAdapter: boolean;
  /**
   * llvmpipe's matmul choices (isLlvmpipe): vec4 products read operand textures, word products
   * take every register tile.
   */
  readonly llvmpipe: boolean;

  private constructor(device: GPUDevice, kernels: Map<string, Kernel>, reductionSize: number) {
    this.device = device;
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    this.cpuAdapter = isCpuAdapter(info);
    this.llvmpipe = this.cpuAdapter && isLlvmpipe(info);
    this.kernels = kernels;
    this.reductionSize = reductionSize;
    // The device's placeholder for omitted bindings (bindings.ts unusedWhen; no kernel has two), made with the set and shared.
    placeholderBuffer(device, 0);
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

  /** The compiled kernel of a key (for the op modules); a registry name gives its kernel's type, and so its buffer names. */
  kernel<K extends KernelName>(key: K): Kernel<K>;
  kernel(key: string): Kernel;
  kernel(key: string): Kernel {
    const kernel = this.kernels.get(key);
    if (!kernel) throw new Error(`Kernel ${key} was not compiled: the model's kernel list (kernelsNeededBy) misses it`);
    return kernel;
  }

  /** The grid of an elementwise dispatch over `count` invocations (for the op modules). */
  elementwiseGrid(count: number): number[] {
    return gridFor(Math.ceil(count / ELEMENTWISE_WORKGROUP), this.device.limits.maxComputeWorkgroupsPerDimension);
  }

  /** The workgroup grid of an update of `count` invocations (updateInvocations). */
  updateGrid(count: number): [number, number] {
    const [x, y = 1] = this.elementwiseGrid(count);
    return [x, y];
  }
}

type Ops = typeof matmulOps & typeof recurrentCellOps & typeof sequenceOps & typeof outputOps & typeof optimizerOps;
// The op functions, one module per kind, are methods of every KernelSet.
export interface KernelSet extends Ops {}
Object.assign(KernelSet.prototype, matmulOps, recurrentCellOps, sequenceOps, outputOps, optimizerOps);

const kernelSets = new WeakMap<GPUDevice, Promise<KernelSet>>();
