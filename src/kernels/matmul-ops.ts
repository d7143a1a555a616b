/** The matrix products (C (=|+=) opA(A)·opB(B) + bias, on the core matmul-choice.ts picks) and the bias-gradient column sums. Installed on KernelSet's prototype (kernel-set.ts). */
import type { BufferSlice, DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import { ELEMENTWISE_WORKGROUP } from './kernel-definitions.ts';
import type { KernelSet } from './kernel-set.ts';
import { matmulUniforms, NONE } from './kernel-uniforms.ts';
import { isRegisterTile, type MatmulArgs, type MatmulVariant, matmulGrid, matmulKChunk, matmulKey, matmulVariant, operandsFitTextures, vec4Operands } from './matmul-choice.ts';
import { OperandTextures } from './operand-textures.ts';
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
    const transposeA = args.transposeA ?? false;
    const transposeB = args.transposeB ?? false;
    const chunk = transposeA && !transposeB ? (args.kChunk ?? (this.cpuAdapter ? matmulKChunk(m, n, k) : 0)) || k : k;
    // The register-tile cores read vec4s where the operands allow it (from operand textures where the
    // adapter prefers them and they fit); the tile follows (matmulVariant).
    const textures = args.textures ?? this.llvmpipe;
    // (A chunked product's textures hold one chunk of K rows.)
    const canReadVec4 = (args.vec4 ?? true) && vec4Operands(args, chunk) && (!textures || operandsFitTextures(this.device.limits, m * chunk, chunk * n));
    const variant = args.variant ?? matmulVariant(m, n, k, this.cpuAdapter, canReadVec4, this.llvmpipe);
    const vec4 = isRegisterTile(variant) && canReadVec4;
    if (vec4 && textures) return matmulOnTextures(this, plan, args, variant, chunk, label);
    const kernel = this.kernel(matmulKey(variant, transposeA, transposeB, vec4));
    const buffers = { a: args.a.buffer, b: args.b.buffer, bias: args.bias?.buffer, c: args.c.buffer };
    const grid = matmulGrid(variant, m, n);
    // Σ_k over chunks k0 .. k0 + chunk − 1: rows k0.. of Aᵀ (stored [k, m]) and of B (stored [k, n]).
    let handle = plan.add(kernel, buffers, matmulUniforms(m, n, Math.min(chunk, k), args.a.offset, args.b.offset, args.c.offset, offsets[0] ?? NONE, offsets[1] ?? NONE, args.accumulate ? 1 : 0), grid, label);
    for (let k0 = chunk; k0 < k; k0 += chunk) {
      const rows = Math.min(chunk, k - k0);
      handle = plan.add(kernel, buffers, matmulUniforms(m, n, rows, args.a.offset + k0 * m, args.b.offset + k0 * n, args.c.offset, NONE, NONE, 1), grid, `${label} (k from ${k0})`);
    }
    return handle;
  },

  /**
   * The operand texture holding `words` words of `slice` (a multiple of 4 from a multiple of 4), copied
   * there by a command added here unless the plan's earlier copy still holds them (operand-textures.ts);
   * `reuse` false: for the next product only (then call the plan's operandTextures.finished).
   */
  operandTexture(this: KernelSet, plan: DispatchPlan, slice: BufferSlice, words: number, reuse: boolean, label: string): GPUTexture {
    plan.operandTextures ??= new OperandTextures(this.device, plan.label, (buffer) => plan.writeCount(buffer));
    const { texture, filled } = plan.operandTextures.slot(slice.buffer, slice.offset / 4, words / 4, reuse);
    if (!filled) plan.addTextureCopy(slice, texture, words / 4, `${label} (to its texture)`);
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

/**
 * KernelSet.matmul on the texture-operand core: A and B copied into operand textures (offsets relative
 * to each copied operand). In one dispatch, each operand's copy is kept for later products of the plan
 * (W_hh for every time step); Aᵀ·B in K chunks copies each chunk's rows of A and B for that chunk alone.
 */
function matmulOnTextures(kernels: KernelSet, plan: DispatchPlan, args: MatmulArgs, variant: MatmulVariant, chunk: number, label: string): DispatchHandle {
  const { m, n, k } = args;
  const transposeA = args.transposeA ?? false;
  const transposeB = args.transposeB ?? false;
  const kernel = kernels.kernel(matmulKey(variant, transposeA, transposeB, true, true));
  const grid = matmulGrid(variant, m, n);
  const offsets = args.bias?.offsets ?? [];
  if (chunk >= k) {
    const a = kernels.operandTexture(plan, args.a, m * k, true, `${label} A`);
    const b = kernels.operandTexture(plan, args.b, k * n, true, `${label} B`);
    return plan.add(kernel, { a, b, bias: args.bias?.buffer, c: args.c.buffer }, matmulUniforms(m, n, k, 0, 0, args.c.offset, offsets[0] ?? NONE, offsets[1] ?? NONE, args.accumulate ? 1 : 0), grid, label);
  }
  // Σ_k over chunks k0 .. k0 + rows − 1: rows k0.. of Aᵀ (stored [k, m]) and of B (stored [k, n]); the first chunk writes C (with the biases), the rest add.
  let handle: DispatchHandle | undefined;
  for (let k0 = 0; k0 < k; k0 += chunk) {
    const rows = Math.min(chunk, k - k0);
    const a = kernels.operandTexture(plan, { buffer: args.a.buffer, offset: args.a.offset + k0 * m }, rows * m, false, `${label} A (k from ${k0})`);
    const b = kernels.operandTexture(plan, { buffer: args.b.buffer, offset: args.b.offset + k0 * n }, rows * n, false, `${label} B (k from ${k0})`);
    const first = k0 === 0;
    const uniforms = matmulUniforms(m, n, rows, 0, 0, args.c.offset, first ? (offsets[0] ?? NONE) : NONE, first ? (offsets[1] ?? NONE) : NONE, first && !args.accumulate ? 0 : 1);
    handle = plan.add(kernel, { a, b, bias: first ? args.bias?.buffer : undefined, c: args.c.buffer }, uniforms, grid, first ? label : `${label} (k from ${k0})`);
    plan.operandTextures!.finished(a);
    plan.operandTextures!.finished(b);
  }
  return handle!;
}
