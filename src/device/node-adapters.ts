/**
 * Adapter discovery in Node through Dawn's bindings (the `webgpu` package).
 *
 * Order for 'auto': a hardware adapter (any non-fallback Vulkan/Metal/D3D12
 * device Dawn accepts), then SwiftShader (Vulkan ICD shipped with Debian's
 * chromium, or the one named by WEBGPU_RNN_SWIFTSHADER_ICD), then Mesa llvmpipe
 * through Dawn's OpenGL ES backend in compatibility mode.
 */
import {
  type AdapterPreference,
  type ChosenAdapter,
  featureLevelOf,
} from './adapter-choice.ts';

export const SWIFTSHADER_ICD_ENV_VARIABLE = 'WEBGPU_RNN_SWIFTSHADER_ICD';
const DEBIAN_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawnModule: Promise<DawnModule> | undefined;

async function loadDawn(): Promise<DawnModule> {
  // The module name is a variable so that browser bundles never try to include it.
  const moduleName = 'webgpu';
  // Dawn initializes EGL for its OpenGL ES backend; headless, it needs these.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  dawnModule ??= (import(/* @vite-ignore */ moduleName) as Promise<DawnModule>).then((dawn) => {
    // WebGPU's constant objects (GPUBufferUsage, GPUMapMode, ...) as in a browser.
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
    }
    return dawn;
  });
  return dawnModule;
}

/** Dawn instance flag: timestamp queries read to the nanosecond instead of Dawn's default grain (for profiling). */
export const TIMESTAMPS_UNQUANTIZED = 'disable-dawn-features=timestamp_quantization';

export interface FoundAdapter {
  adapter: GPUAdapter;
  chosen: ChosenAdapter;
  /** The Dawn instance the adapter came from; it must outlive the device (Dawn crashes if it is collected first). */
  instance: GPU;
}

function classify(instance: GPU, adapter: GPUAdapter, backendKind: ChosenAdapter['kind']): FoundAdapter {
  const info = adapter.info;
  return {
    adapter,
    instance,
    chosen: {
      kind: backendKind,
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      featureLevel: featureLevelOf(adapter),
    },
  };
}

function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const names = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|softpipe|warp/.test(names);
}

async function findHardware(dawn: DawnModule, flags: string[]): Promise<FoundAdapter | undefined> {
  const instance = dawn.create(flags);
  const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter || isSoftware(adapter)) return undefined;
  return classify(instance, adapter, 'hardware');
}

function swiftShaderIcdPath(): string {
  return process.env[SWIFTSHADER_ICD_ENV_VARIABLE] || DEBIAN_SWIFTSHADER_ICD;
}

async function findSwiftShader(dawn: DawnModule, flags: string[]): Promise<FoundAdapter | undefined> {
  // A variable module name, as for 'webgpu': browser bundles must not try to include it.
  const fsModuleName = 'node:fs';
  const { existsSync } = (await import(/* @vite-ignore */ fsModuleName)) as typeof import('node:fs');
  const icd = swiftShaderIcdPath();
  if (!existsSync(icd)) return undefined;
  // The Vulkan loader reads this when Dawn creates its instance.
  process.env.VK_ICD_FILENAMES = icd;
  const instance = dawn.create(['backend=vulkan', ...flags]);
  const adapter = await instance.requestAdapter();
  if (!adapter) return undefined;
  return classify(instance, adapter, 'swiftshader');
}

async function findLlvmpipe(dawn: DawnModule, flags: string[]): Promise<FoundAdapter | undefined> {
  const instance = dawn.create(['backend=opengles', ...flags]);
  const adapter = await instance.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  if (!adapter) return undefined;
  return classify(instance, adapter, 'llvmpipe');
}

const WHAT_EACH_NEEDS: Record<Exclude<AdapterPreference, 'auto'>, string> = {
  hardware: 'a GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver that Dawn accepts',
  swiftshader:
    `SwiftShader's Vulkan ICD at ${DEBIAN_SWIFTSHADER_ICD} (Debian: apt-get install chromium libvulkan1) ` +
    `or a path in ${SWIFTSHADER_ICD_ENV_VARIABLE}`,
  llvmpipe: "Mesa's llvmpipe through EGL (Debian: apt-get install libegl1 libgles2 libgl1-mesa-dri)",
};

/** Finds the adapter the preference asks for, or throws saying what is missing; `flags` go to each Dawn instance. */
export async function findNodeAdapter(preference: AdapterPreference, flags: string[] = []): Promise<FoundAdapter> {
  const dawn = await loadDawn();
  const finders = { hardware: findHardware, swiftshader: findSwiftShader, llvmpipe: findLlvmpipe };
  const order: Exclude<AdapterPreference, 'auto'>[] =
    preference === 'auto' ? ['hardware', 'swiftshader', 'llvmpipe'] : [preference];
  for (const kind of order) {
    const found = await finders[kind](dawn, flags);
    if (found) return found;
  }
  const needs = order.map((kind) => `${kind} needs ${WHAT_EACH_NEEDS[kind]}`).join('; ');
  throw new Error(`No WebGPU adapter found for adapter '${preference}'. Tried ${order.join(', ')}: ${needs}.`);
}
