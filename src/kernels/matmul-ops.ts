/** The matrix products (C (=|+=) opA(A)·opB(B) + bias, on the core matmul-choice.ts picks) and the bias-gradient column sums. Installed on KernelSet's prototype (kernel-set.ts). */
import type { BufferSlice, DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import { ELEMENTWISE_WORKGROUP } from './kernel-definitions.ts';
import type { KernelSet } from './kernel-set.ts';
import { matmulUniforms, NONE } from './kernel-uniforms.ts';
import { isRegisterTile, type MatmulArgs, matmulGrid, matmulKChunk, matmulKey, matmulVariant, operandsFitTextures, PACK_PANELS_KEY, panelsKey, panelTexels, panelWidth, readsPanels, type RegisterTile, transposedOutput, vec4Operands } from './matmul-choice.ts';
import { UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

export const matmulOps = {
  /** C (=|+=) opA(A)·opB(B) + bias. */
  matmul(this: KernelSet, plan: DispatchPlan, args: MatmulArgs, label: string): DispatchHandle {
    const { m, n, k } = args;
    for (const [name, value] of Object.entries({ m, n, k })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: matmul ${name} must be a positive integer, got ${value}`);
    }
    const offsets = args.bias?.offsets ?? [];
    if (offsets.length > 2) throw new Error(`${label}: at most two bias vectors, got ${offsets.length}`);
    // The register-tile cores read vec4s where the operands allow it (from operand textures where the
    // adapter prefers them and they fit); the tile follows (matmulVariant).
    const textures = args.textures ?? this.llvmpipe;
    const loads = operandLoads(this, args, textures);
    const transposeC = args.transposeC ?? transposedOutput(m, n, loads.transposeA, loads.transposeB, loads.vec4, this.llvmpipe && textures);
    if (!transposeC) return recordProduct(this, plan, args, loads, textures, false, label);
    // Cᵀ [n, m] = opB(B)ᵀ·opA(A)ᵀ: B's transpose is the new A (stored [k, n] when B was, else [n, k]),
    // A's the new B; the core stores its [n, m] result into C transposed (TRANSPOSE_C).
    const swapped: MatmulArgs = { ...args, a: args.b, b: args.a, m: n, n: m, transposeA: !loads.transposeB, transposeB: !loads.transposeA };
    const swappedLoads = operandLoads(this, swapped, textures);
    if (!loads.vec4 || !swappedLoads.vec4 || m % 4 !== 0 || n % 4 !== 0 || (args.variant && !isRegisterTile(args.variant))) {
      throw new Error(`${label}: a transposed output needs a register-tile core reading vec4s and m, n multiples of 4, got ${m} x ${n} (${args.variant ?? 'chosen core'})`);
    }
    return recordProduct(this, plan, swapped, swappedLoads, textures, true, label);
  },

  /**
   * The operand texture holding `words` words of `slice` (a multiple of 4 from a multiple of 4), copied
   * there by a command added here unless the plan's earlier copy still holds them (operand-textures.ts);
   * `reuse` false: for the next product only (then call the plan's operandTextures.finished).
   */
  operandTexture(this: KernelSet, plan: DispatchPlan, slice: BufferSlice, words: number, reuse: boolean, label: string): GPUTexture {
    const { texture, filled } = plan.operandTextures.slot(slice.buffer, slice.offset / 4, words / 4, reuse);
    if (!filled) plan.addTextureCopy(slice, texture, words / 4, `${label} (to its texture)`);
    return texture;
  },

  /**
   * The operand texture holding opB [rows, n] (B at `slice`, stored [rows, n], or [n, rows] when
   * `transposed`) in column panels `width` wide (operand_panels.wgsl), packed there by a dispatch
   * added here unless the plan's earlier packing still holds it; `reuse` as for operandTexture.
   */
  panelTexture(this: KernelSet, plan: DispatchPlan, slice: BufferSlice, rows: number, n: number, transposed: boolean, width: number, reuse: boolean, label: string): GPUTexture {
    const texels = panelTexels(rows, n, width);
    const { texture, filled } = plan.operandTextures.slot(slice.buffer, slice.offset / 4, texels, reuse, `panels ${width} of ${rows} x ${n}${transposed ? ' from Bᵀ' : ''}`);
    if (filled) return texture;
    const blocks = texels / 4;
    const grid = this.elementwiseGrid(blocks);
    plan.add(
      this.kernel(PACK_PANELS_KEY),
      { source: slice.buffer, packed: texture },
      packUniforms(L.operandPanels, { k: rows, n, panelWidth: width, sourceOffset: slice.offset, transposed: transposed ? 1 : 0, blocks, gridWidth: grid[0] * ELEMENTWISE_WORKGROUP }),
      grid,
      `${label} (into panels)`,
    );
    return texture;
  },

  /** output[o + j] += Σ_r input[r, j] (to each of one or two output offsets). */
  columnSums(this: KernelSet, plan: DispatchPlan, input: BufferSlice, rows: number, cols: number, output: { buffer: GPUBuffer; offsets: number[] }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('columnSums'),
      { input: input.buffer, output: output.buffer },
      packUniforms(L.reduce, { rows, cols, inputOffset: input.offset, outputOffset0: output.offsets[0], outputOffset1: output.offsets[1] ?? NONE, scale: 1 }),
      [Math.ceil(cols / ELEMENTWISE_WORKGROUP)],
      label,
    );
  },
};

/** The transposes, K rows per dispatch and vec4 loads of a product (see matmul-choice.ts). */
function operandLoads(kernels: KernelSet, args: MatmulArgs, textures: boolean) {
  const { m, n, k } = args;
  const transposeA = args.transposeA ?? false;
  const transposeB = args.transposeB ?? false;
  const chunk = transposeA && !transposeB ? (args.kChunk ?? (kernels.cpuAdapter ? matmulKChunk(m, n, k) : 0)) || k : k;
  // (A chunked product's textures hold one chunk of K rows; B's panels are padded to the widest tile's;
  // a product that adds to C, or whose later chunks do, copies C too.)
  const priorWords = args.accumulate || chunk < k ? m * n : 0;
  const vec4 = (args.vec4 ?? true) && vec4Operands(args, chunk) && (!textures || operandsFitTextures(kernels.device.limits, m * chunk, 4 * panelTexels(chunk, n, panelWidth('register16x16')), priorWords));
  return { transposeA, transposeB, chunk, vec4 };
}

/** Records C (=|+=) opA(A)·opB(B) + bias on its core; `transposedStore`: C stored [n, m] (TRANSPOSE_C). */
function recordProduct(kernels: KernelSet, plan: DispatchPlan, args: MatmulArgs, loads: ReturnType<typeof operandLoads>, textures: boolean, transposedStore: boolean, label: string): DispatchHandle {
  const { m, n, k } = args;
  const { transposeA, transposeB, chunk } = loads;
  const offsets = args.bias?.offsets ?? [];
  const variant = args.variant ?? matmulVariant(m, n, k, kernels.cpuAdapter, loads.vec4, kernels.llvmpipe);
  const vec4 = isRegisterTile(variant) && loads.vec4;
  const onTextures = vec4 && textures;
  // A shared B of an A·B or A·Bᵀ product in one dispatch is packed in column panels as wide as the tile (sharedB).
  const panels = readsPanels(onTextures, args.sharedB ?? false, transposeA, chunk < k, transposedStore);
  const kernel = kernels.kernel(panels ? panelsKey(variant as RegisterTile) : matmulKey(variant, transposeA, transposeB, vec4, onTextures, transposedStore));
  const grid = matmulGrid(variant, m, n);
  // Σ_k over chunks k0 .. k0 + rows − 1: rows k0.. of Aᵀ (stored [k, m]) and of B (stored [k, n]); the
  // first chunk writes C (with the biases), the rest add. On operand textures a product in one dispatch
  // keeps its copies for the plan's later products (W_hh for every time step); a chunk's copies serve it alone.
  let handle: DispatchHandle | undefined;
  for (let k0 = 0; k0 < k; k0 += chunk) {
    const rows = Math.min(chunk, k - k0);
    const first = k0 === 0;
    const a = { buffer: args.a.buffer, offset: args.a.offset + k0 * m };
    const b = { buffer: args.b.buffer, offset: args.b.offset + k0 * n };
    const chunkLabel = first ? label : `${label} (k from ${k0})`;
    const [bias0 = NONE, bias1 = NONE] = first ? offsets : [];
    const accumulate = first && !args.accumulate ? 0 : 1;
    if (!onTextures) {
      handle = plan.add(kernel, { a: a.buffer, b: b.buffer, bias: first ? args.bias?.buffer : undefined, c: args.c.buffer }, matmulUniforms(m, n, rows, a.offset, b.offset, args.c.offset, bias0, bias1, accumulate), grid, chunkLabel);
      continue;
    }
    const reuse = rows === k;
    const textureOfA = kernels.operandTexture(plan, a, rows * m, reuse, `${chunkLabel} A`);
    const textureOfB = panels
      ? kernels.panelTexture(plan, b, rows, n, transposeB, panelWidth(variant as RegisterTile), reuse, `${chunkLabel} B`)
      : kernels.operandTexture(plan, b, rows * n, reuse, `${chunkLabel} B`);
    // Accumulating, C's earlier values are read from a copy of C (m·n words either way it is stored);
    // otherwise the binding takes A's texture, never read.
    const priorC = accumulate ? kernels.operandTexture(plan, args.c, m * n, false, `${chunkLabel} C`) : textureOfA;
    handle = plan.add(kernel, { a: textureOfA, b: textureOfB, priorC, bias: first ? args.bias?.buffer : undefined, c: args.c.buffer }, matmulUniforms(m, n, rows, 0, 0, args.c.offset, bias0, bias1, accumulate), grid, chunkLabel);
    if (!reuse) for (const texture of [textureOfA, textureOfB]) plan.operandTextures.finished(texture);
    if (accumulate) plan.operandTextures.finished(priorC);
  }
  return handle!;
}
