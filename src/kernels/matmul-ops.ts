/** The matrix products (C (=|+=) opA(A)·opB(B) + bias, on the core matmul-choice.ts picks) and the bias-gradient column sums. Installed on KernelSet's prototype (kernel-set.ts). */
import type { BufferSlice, DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import { ELEMENTWISE_WORKGROUP } from './kernel-definitions.ts';
import type { KernelSet } from './kernel-set.ts';
import { matmulUniforms, NONE } from './kernel-uniforms.ts';
import { isRegisterTile, type MatmulArgs, matmulGrid, matmulKChunk, matmulKey, matmulVariant, vec4Operands } from './matmul-choice.ts';
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
    // The register-tile cores read vec4s where the operands allow it; the tile follows (matmulVariant).
    const canReadVec4 = (args.vec4 ?? true) && vec4Operands(args, chunk);
    const variant = args.variant ?? matmulVariant(m, n, k, this.cpuAdapter, canReadVec4);
    const vec4 = isRegisterTile(variant) && canReadVec4;
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
