/**
 * The software adapters GPU tests run on. Every adapter in the list must be
 * available: a missing one fails its tests with a message saying what to
 * install; nothing is skipped. WEBGPU_RNN_TEST_ADAPTERS (comma-separated)
 * replaces the list, e.g. `hardware` on a machine with a GPU.
 */
import { type AdapterPreference, parseAdapterPreference } from '../src/device/adapter-choice.ts';
import { createGpuContext, type GpuContext } from '../src/device/gpu-context.ts';
import { ALL_KERNELS, KernelSet, matmulKeysFor } from '../src/kernels/kernel-set.ts';

export const TEST_ADAPTERS: AdapterPreference[] = (process.env.WEBGPU_RNN_TEST_ADAPTERS ?? 'swiftshader,llvmpipe')
  .split(',')
  .map((name) => parseAdapterPreference(name.trim(), 'WEBGPU_RNN_TEST_ADAPTERS'));

const contexts = new Map<AdapterPreference, Promise<GpuContext>>();

/** The shared context for an adapter; rejects with a clear message when the adapter is missing. */
export function contextFor(adapter: AdapterPreference): Promise<GpuContext> {
  let context = contexts.get(adapter);
  if (!context) {
    context = createGpuContext({ adapter }).catch((error: Error) => {
      throw new Error(`GPU test needs the '${adapter}' WebGPU adapter and could not get it: ${error.message}`);
    });
    contexts.set(adapter, context);
  }
  return context;
}

const kernelSets = new Map<AdapterPreference, Promise<KernelSet>>();

/**
 * The shared kernel set of an adapter with every kernel compiled but the matmul cores this kind of
 * adapter never chooses (a test that forces those ensures them itself: SwiftShader takes seconds each).
 */
export function kernelsFor(adapter: AdapterPreference): Promise<KernelSet> {
  let kernels = kernelSets.get(adapter);
  if (!kernels) {
    kernels = contextFor(adapter).then(async (context) => {
      const set = await KernelSet.load(context.device);
      await set.ensure([...ALL_KERNELS.filter((key) => !key.startsWith('matmul ')), ...matmulKeysFor(set.cpuAdapter, set.llvmpipe)]);
      return set;
    });
    kernelSets.set(adapter, kernels);
  }
  return kernels;
}
