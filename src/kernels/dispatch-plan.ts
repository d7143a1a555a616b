/**
 * A recorded sequence of dispatches (and of the copies that fill operand textures):
 * pipelines, bind groups and uniforms are created once when the plan is built; each
 * run only records the commands, the dispatches into compute passes (one pass between
 * two copies; one pass when there is no copy). Uniforms of all dispatches live in one
 * buffer, each at its own aligned offset; values that change between runs (a step
 * count, a learning rate) are rewritten with `updateUniforms`.
 */
import { type BindingBuffers, isTexture, type StorageEntry, storageEntries, uniformBinding } from './bindings.ts';
import { DispatchProfiler, type DispatchTiming } from './dispatch-profiler.ts';
import { OPERAND_TEXEL_BYTES, OPERAND_TEXTURE_WIDTH } from './operand-texture-layout.ts';
import { OperandTextures } from './operand-textures.ts';
import { PassRecorder } from './pass-recorder.ts';
import type { Kernel } from './pipeline-cache.ts';
import type { KernelBuffers, KernelName } from './registry.ts';
import { type UniformField, uniformBytes } from './uniforms.ts';

export interface BufferSlice {
  buffer: GPUBuffer;
  /** First element (4-byte word) of the slice. */
  offset: number;
}

/** A dispatch size: workgroups per dimension, or a slice of a buffer holding them (indirect). */
type Workgroups = [number, number, number] | BufferSlice;

interface PendingDispatch {
  kernel: Kernel;
  buffers: StorageEntry[];
  uniforms: ArrayBuffer;
  workgroups: Workgroups;
  label: string;
}

interface RecordedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: Workgroups;
}

/** A copy of `vec4s` vec4s of a buffer, from `source`, into an operand texture's first texels. */
interface TextureCopy {
  source: BufferSlice;
  texture: GPUTexture;
  vec4s: number;
  label: string;
}

/** A plan's command: a dispatch or a texture copy (`copy`). */
type PendingCommand = PendingDispatch | { copy: TextureCopy };
type RecordedCommand = RecordedDispatch | { copy: TextureCopy };

export interface DispatchHandle {
  readonly index: number;
}

export class DispatchPlan {
  private readonly device: GPUDevice;
  readonly label: string;
  private readonly pending: PendingCommand[] = [];
  private recorded: RecordedCommand[] | undefined;
  private uniformBuffer: GPUBuffer | undefined;
  private uniformOffsets: number[] = [];
  /** Dispatches recorded so far that bind each buffer read-write (operand textures tell stale copies by it). */
  private readonly writes = new Map<GPUBuffer, number>();
  private textures: OperandTextures | undefined;

  constructor(device: GPUDevice, label: string) {
    this.device = device;
    this.label = label;
  }

  /** The plan's operand textures (operand-textures.ts), made when a product first asks; destroyed with the plan. */
  get operandTextures(): OperandTextures {
    this.textures ??= new OperandTextures(this.device, this.label, (buffer) => this.writeCount(buffer));
    return this.textures;
  }

  /** Commands recorded so far: dispatches, and copies into operand textures. */
  get dispatchCount(): number {
    return this.pending.length;
  }

  /** Dispatches among commands `from`..`to` (the copies into operand textures not counted). */
  dispatchesIn(from: number, to: number): number {
    return this.pending.slice(from, to).filter((command) => !('copy' in command)).length;
  }

  /** How many dispatches recorded so far bind `buffer` read-write. */
  writeCount(buffer: GPUBuffer): number {
    return this.writes.get(buffer) ?? 0;
  }

  /**
   * Marks the start of a part that may be encoded without the dispatches before it (a
   * forward-only run, a step's backward); returns the index of its first dispatch. Operand
   * textures packed before it are not reused after it.
   */
  startSegment(): number {
    this.textures?.forgetAll();
    return this.pending.length;
  }

  /**
   * Adds a dispatch; `buffers` by the kernel's binding names (registry.ts), the uniform
   * block excluded (the plan binds it). `workgroups` is the grid, or a buffer slice holding
   * it (x, y, z words), read when the dispatch runs (an indirect dispatch).
   */
  add<K extends KernelName>(kernel: Kernel<K>, buffers: KernelBuffers<K>, uniforms: readonly UniformField[], workgroups: number[] | BufferSlice, label: string): DispatchHandle {
    if (this.recorded) throw new Error(`Dispatch plan '${this.label}' is already built; it cannot grow.`);
    const entries = storageEntries(kernel.name, kernel.bindings, buffers as BindingBuffers);
    for (const { access, buffer } of entries) {
      if (access === 'read-write' && buffer && !isTexture(buffer)) this.writes.set(buffer, this.writeCount(buffer) + 1);
    }
    if (!Array.isArray(workgroups)) {
      this.pending.push({ kernel, buffers: entries, uniforms: uniformBytes(uniforms), workgroups, label });
      return { index: this.pending.length - 1 };
    }
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    const [x = 1, y = 1, z = 1] = workgroups;
    if (x > limit || y > limit || z > limit) {
      throw new Error(`${label}: workgroup grid ${x}x${y}x${z} exceeds the device limit of ${limit} per dimension`);
    }
    this.pending.push({ kernel, buffers: entries, uniforms: uniformBytes(uniforms), workgroups: [x, y, z], label });
    return { index: this.pending.length - 1 };
  }

  /**
   * Adds a copy of `vec4s` vec4s of a buffer from `source` (a word offset, a multiple of 4) into
   * an operand texture (operand-texture-layout.ts: whole rows, then the last row's start).
   */
  addTextureCopy(source: BufferSlice, texture: GPUTexture, vec4s: number, label: string): void {
    if (this.recorded) throw new Error(`Dispatch plan '${this.label}' is already built; it cannot grow.`);
    if (source.offset % 4 !== 0) throw new Error(`${label}: a texture copy starts at a multiple of 4 words, got ${source.offset}`);
    this.pending.push({ copy: { source, texture, vec4s, label } });
  }

  /** Creates the uniform buffer and bind groups. */
  build(): void {
    if (this.recorded) return;
    const alignment = this.device.limits.minUniformBufferOffsetAlignment;
    let size = 0;
    this.uniformOffsets = this.pending.map((command) => {
      const offset = size;
      if (!('copy' in command)) size += Math.ceil(command.uniforms.byteLength / alignment) * alignment;
      return offset;
    });
    const uniformBuffer = this.device.createBuffer({
      label: `${this.label} uniforms`,
      size: Math.max(size, 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
    });
    const mapped = new Uint8Array(uniformBuffer.getMappedRange());
    this.pending.forEach((command, index) => {
      if (!('copy' in command)) mapped.set(new Uint8Array(command.uniforms), this.uniformOffsets[index]);
    });
    uniformBuffer.unmap();
    this.uniformBuffer = uniformBuffer;
    this.recorded = this.pending.map((dispatch, index): RecordedCommand => {
      if ('copy' in dispatch) return dispatch;
      // An omitted binding (declared unusedWhen) gets a placeholder; each its own, so that no two writable bindings alias.
      let omitted = 0;
      const entries: GPUBindGroupEntry[] = dispatch.buffers.map(({ binding, buffer }) => ({
        binding,
        resource: buffer && isTexture(buffer) ? buffer.createView() : { buffer: buffer ?? placeholderBuffer(this.device, omitted++) },
      }));
      entries.push({
        binding: uniformBinding(dispatch.kernel.name, dispatch.kernel.bindings),
        resource: { buffer: uniformBuffer, offset: this.uniformOffsets[index], size: dispatch.uniforms.byteLength },
      });
      return {
        pipeline: dispatch.kernel.pipeline,
        bindGroup: this.device.createBindGroup({ label: dispatch.label, layout: dispatch.kernel.layout, entries }),
        workgroups: dispatch.workgroups,
      };
    });
  }

  /** Rewrites one dispatch's uniforms (ordered before the next submitted work). */
  updateUniforms(handle: DispatchHandle, uniforms: readonly UniformField[]): void {
    if (!this.uniformBuffer) throw new Error(`Dispatch plan '${this.label}' is not built yet.`);
    const data = uniformBytes(uniforms);
    const dispatch = this.pending[handle.index] as PendingDispatch;
    if (data.byteLength !== dispatch.uniforms.byteLength) {
      throw new Error(`${dispatch.label}: uniform block changed size`);
    }
    this.device.queue.writeBuffer(this.uniformBuffer, this.uniformOffsets[handle.index], data);
  }

  /** Records commands `from`..`to`, in order: dispatches into the recorder's pass, copies between passes. */
  encode(recorder: PassRecorder, from = 0, to = this.pending.length): void {
    if (!this.recorded) this.build();
    const recorded = this.recorded!;
    for (let index = from; index < to; index++) {
      const command = recorded[index];
      if ('copy' in command) {
        encodeTextureCopy(recorder.outsidePasses(), command.copy);
        continue;
      }
      encodeDispatch(recorder.pass(), command);
    }
  }

  /**
   * Profiling only: records dispatches `from`..`to` in order, each in a compute pass of its
   * own whose beginning and end `profiler` times. The same work as `encode`, so the same
   * results; normal runs use `encode` (one pass between copies, no queries).
   */
  encodeTimed(encoder: GPUCommandEncoder, profiler: DispatchProfiler, from = 0, to = this.pending.length): void {
    for (let index = from; index < to; index++) {
      const command = this.pending[index];
      if ('copy' in command) {
        encodeTextureCopy(encoder, command.copy);
        continue;
      }
      const { label, kernel } = command;
      if (!this.recorded) this.build();
      const pass = encoder.beginComputePass({ label, timestampWrites: profiler.timestampWrites(label, kernel.name) });
      encodeDispatch(pass, this.recorded![index] as RecordedDispatch);
      pass.end();
    }
  }

  /** Runs the plan alone with every dispatch timed (see encodeTimed; needs 'timestamp-query'); its GPU time per dispatch. */
  async profile(queriesPerSet?: number): Promise<DispatchTiming[]> {
    const profiler = new DispatchProfiler(this.device, `${this.label} profile`, queriesPerSet);
    try {
      const encoder = this.device.createCommandEncoder({ label: `${this.label} profiled` });
      this.encodeTimed(encoder, profiler);
      profiler.resolve(encoder);
      this.device.queue.submit([encoder.finish()]);
    } catch (error) {
      profiler.destroy();
      throw error;
    }
    return profiler.read();
  }

  /** Runs the plan alone: one encoder, one submission. */
  submit(): void {
    const encoder = this.device.createCommandEncoder({ label: this.label });
    const recorder = new PassRecorder(encoder, this.label);
    this.encode(recorder);
    recorder.end();
    this.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.textures?.destroy();
    this.textures = undefined;
    this.uniformBuffer?.destroy();
    this.uniformBuffer = undefined;
    this.recorded = undefined;
  }
}

const placeholders = new WeakMap<GPUDevice, GPUBuffer[]>();

/** The device's `index`-th 16-byte placeholder, bound where a dispatch omits a binding its kernel leaves unused. */
export function placeholderBuffer(device: GPUDevice, index: number): GPUBuffer {
  let buffers = placeholders.get(device);
  if (!buffers) {
    buffers = [];
    placeholders.set(device, buffers);
  }
  while (buffers.length <= index) {
    buffers.push(device.createBuffer({ label: `unused binding placeholder ${buffers.length}`, size: 16, usage: GPUBufferUsage.STORAGE }));
  }
  return buffers[index];
}

/** Splits a 1-D workgroup count into a 2-D grid within the per-dimension limit. */
export function gridFor(workgroups: number, limit: number): [number, number] {
  if (workgroups <= limit) return [Math.max(1, workgroups), 1];
  const y = Math.ceil(workgroups / limit);
  return [Math.ceil(workgroups / y), y];
}

function encodeDispatch(pass: GPUComputePassEncoder, { pipeline, bindGroup, workgroups }: RecordedDispatch): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  if (Array.isArray(workgroups)) pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
  else pass.dispatchWorkgroupsIndirect(workgroups.buffer, workgroups.offset * 4);
}

/** copyBufferToTexture of a TextureCopy: the whole texture rows, then the start of the last one. */
function encodeTextureCopy(encoder: GPUCommandEncoder, { source, texture, vec4s }: TextureCopy): void {
  const rowBytes = OPERAND_TEXTURE_WIDTH * OPERAND_TEXEL_BYTES;
  const wholeRows = Math.floor(vec4s / OPERAND_TEXTURE_WIDTH);
  const rest = vec4s - wholeRows * OPERAND_TEXTURE_WIDTH;
  const offset = source.offset * 4;
  if (wholeRows > 0) {
    encoder.copyBufferToTexture({ buffer: source.buffer, offset, bytesPerRow: rowBytes, rowsPerImage: wholeRows }, { texture }, [OPERAND_TEXTURE_WIDTH, wholeRows]);
  }
  if (rest > 0) {
    encoder.copyBufferToTexture({ buffer: source.buffer, offset: offset + wholeRows * rowBytes, bytesPerRow: rowBytes }, { texture, origin: [0, wholeRows] }, [rest, 1]);
  }
}
