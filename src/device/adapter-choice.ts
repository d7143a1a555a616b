/**
 * Which WebGPU adapter to use, and what was chosen.
 *
 * In Node the engine can pick among a hardware adapter and two software ones:
 * SwiftShader (Vulkan, core feature level) and Mesa llvmpipe (OpenGL ES through
 * Dawn, compatibility feature level). In a browser the browser decides.
 */
import { InvalidArgumentError } from '../validation.ts';

export type AdapterPreference = 'auto' | 'hardware' | 'swiftshader' | 'llvmpipe';

export const ADAPTER_PREFERENCES: readonly AdapterPreference[] = ['auto', 'hardware', 'swiftshader', 'llvmpipe'];

/** Environment variable that overrides the adapter choice in Node. */
export const ADAPTER_ENV_VARIABLE = 'WEBGPU_RNN_ADAPTER';

export type FeatureLevel = 'core' | 'compatibility';

export interface ChosenAdapter {
  /** Which kind of adapter this is, as the engine classified it. */
  kind: 'hardware' | 'swiftshader' | 'llvmpipe' | 'browser' | 'software';
  vendor: string;
  architecture: string;
  description: string;
  featureLevel: FeatureLevel;
}

export function describeAdapter(adapter: ChosenAdapter): string {
  const parts = [[adapter.vendor, adapter.architecture].filter((part) => part).join(' '), adapter.description];
  const name = parts.filter((part) => part).join(' — ') || 'unnamed adapter';
  return `${adapter.kind}: ${name} (${adapter.featureLevel} feature level)`;
}

export function parseAdapterPreference(value: unknown, source: string): AdapterPreference {
  if (typeof value === 'string' && (ADAPTER_PREFERENCES as readonly string[]).includes(value)) {
    return value as AdapterPreference;
  }
  throw new InvalidArgumentError(source, `got ${JSON.stringify(value)}, expected one of ${ADAPTER_PREFERENCES.map((p) => `'${p}'`).join(', ')}`);
}

export function featureLevelOf(adapter: GPUAdapter): FeatureLevel {
  return adapter.features.has('core-features-and-limits') ? 'core' : 'compatibility';
}
