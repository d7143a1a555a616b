/**
 * A plan's operand textures: matmul operands copied into rgba32float textures
 * (operand-texture-layout.ts) for the texture-operand core (matmul-choice.ts
 * isLlvmpipe), each by a buffer-to-texture copy (DispatchPlan.addTextureCopy), or
 * for B by a dispatch that packs it in column panels (operand_panels.wgsl),
 * recorded just before the product. A run is known by its buffer, its first vec4,
 * its vec4s and its layout (the panels' shape; '' for a plain copy).
 *
 * A copied run (buffer, first vec4, count) is reused by the plan's later products
 * while no dispatch recorded since has bound that buffer read-write
 * (DispatchPlan.writeCount) and no new segment has started (DispatchPlan.startSegment):
 * a step copies W_hh once for all its time steps, and h_{t−1} again every step, the
 * cell having written the states between. A texture whose run is out of date, or
 * whose copy served a single product (`reuse` false), is taken for a later copy of a
 * run that fits it: a plan's commands run in the order recorded, so it is
 * overwritten only after the products that read it.
 */
import { OPERAND_TEXEL_BYTES, OPERAND_TEXTURE_FORMAT, OPERAND_TEXTURE_WIDTH, operandTextureRows } from './operand-texture-layout.ts';

interface PackedRun {
  texture: GPUTexture;
  rows: number;
  buffer: GPUBuffer | undefined;
  first: number;
  count: number;
  layout: string;
  /** The plan's writeCount of the buffer when the run was copied. */
  writes: number;
  /** Reusable by a later product (false once forgotten, or for a one-product copy after that product). */
  current: boolean;
}

/** Where a run goes: `texture`, and whether it already holds the run (no copy needed). */
export interface OperandTextureSlot {
  texture: GPUTexture;
  filled: boolean;
}

export class OperandTextures {
  private readonly device: GPUDevice;
  private readonly label: string;
  private readonly runs: PackedRun[] = [];
  /** The plan's DispatchPlan.writeCount. */
  private readonly writeCount: (buffer: GPUBuffer) => number;

  constructor(device: GPUDevice, label: string, writeCount: (buffer: GPUBuffer) => number) {
    this.device = device;
    this.label = label;
    this.writeCount = writeCount;
  }

  /** Bytes of every texture held (counted in the model's GPU memory with the plan's buffers). */
  get bytes(): number {
    return this.runs.reduce((sum, run) => sum + run.rows * OPERAND_TEXTURE_WIDTH * OPERAND_TEXEL_BYTES, 0);
  }

  /**
   * The texture for `count` vec4s made from `buffer` from vec4 `first` in `layout` ('' for a
   * plain copy of the run), as the plan stands: one that still holds them (filled: true), or
   * one to fill (an out-of-date or finished one that fits, the smallest, else a new one).
   * `reuse` false: the run serves one product only; call `finished` after recording it.
   */
  slot(buffer: GPUBuffer, first: number, count: number, reuse: boolean, layout = ''): OperandTextureSlot {
    if (reuse) {
      const held = this.runs.find((run) => this.holds(run) && run.buffer === buffer && run.first === first && run.count === count && run.layout === layout);
      if (held) return { texture: held.texture, filled: true };
    }
    const rows = operandTextureRows(count);
    const free = this.runs.filter((run) => !this.holds(run) && run.rows >= rows && run.rows <= 2 * rows).sort((x, y) => x.rows - y.rows)[0];
    const run = free ?? this.create(rows);
    Object.assign(run, { buffer, first, count, layout, writes: this.writeCount(buffer), current: true });
    return { texture: run.texture, filled: false };
  }

  /** A one-product run's product is recorded: its texture may be taken by later copies. */
  finished(texture: GPUTexture): void {
    const run = this.runs.find((candidate) => candidate.texture === texture);
    if (run) run.current = false;
  }

  /** No run copied so far is reused (a new segment of the plan starts). */
  forgetAll(): void {
    for (const run of this.runs) run.current = false;
  }

  destroy(): void {
    for (const run of this.runs) run.texture.destroy();
    this.runs.length = 0;
  }

  /** Whether a run's texture still holds what a later product may reuse: current, and its buffer not written since the copy. */
  private holds(run: PackedRun): boolean {
    return run.current && run.buffer !== undefined && this.writeCount(run.buffer) === run.writes;
  }

  private create(rows: number): PackedRun {
    const limit = this.device.limits.maxTextureDimension2D;
    if (rows > limit || OPERAND_TEXTURE_WIDTH > limit) throw new Error(`${this.label}: an operand texture of ${rows} rows exceeds this device's maxTextureDimension2D of ${limit}`);
    const texture = this.device.createTexture({
      label: `${this.label} operand texture ${this.runs.length}`,
      size: [OPERAND_TEXTURE_WIDTH, rows],
      format: OPERAND_TEXTURE_FORMAT,
      usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
    });
    const run: PackedRun = { texture, rows, buffer: undefined, first: 0, count: 0, layout: '', writes: 0, current: false };
    this.runs.push(run);
    return run;
  }
}
