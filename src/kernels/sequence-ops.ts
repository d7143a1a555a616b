/** Elementwise and row ops over whole sequences: embeddings, dropout, tanh, and the bidirectional reversal, join and split. Installed on KernelSet's prototype (kernel-set.ts). */
import type { BufferSlice, DispatchHandle, DispatchPlan } from './dispatch-plan.ts';
import { embeddingForwardKey, embeddingGradientKeys, groupedWalkWorkgroup, walkQuadsPerInvocation } from './kernel-choice.ts';
import { ELEMENTWISE_WORKGROUP } from './kernel-definitions.ts';
import type { KernelSet } from './kernel-set.ts';
import { directionUniforms, dropoutUniforms, embeddingUniforms, NONE } from './kernel-uniforms.ts';
import { UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

export const sequenceOps = {
  /** output = input ⊙ mask over `count` elements (uniforms: dropoutUniforms; set per run). */
  dropoutForward(this: KernelSet, plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutForward'), { input: input.buffer, output: output.buffer }, dropoutUniforms(count, 0, 0, input.offset, output.offset), this.elementwiseGrid(count), label);
  },

  /** gradient ⊙= mask over `count` elements, in place. */
  dropoutBackward(this: KernelSet, plan: DispatchPlan, gradient: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutBackward'), { gradients: gradient.buffer }, dropoutUniforms(count, 0, 0, 0, gradient.offset), this.elementwiseGrid(count), label);
  },

  /** output = tanh(input) over `count` elements. */
  tanhForward(this: KernelSet, plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhForward'),
      { input: input.buffer, output: output.buffer },
      packUniforms(L.tanhElementwise, { count, offsetIn: input.offset, offsetSaved: 0, offsetOut: output.offset }),
      this.elementwiseGrid(count),
      label,
    );
  },

  /** dInput = dOutput ⊙ (1 − output²) over `count` elements. */
  tanhBackward(this: KernelSet, plan: DispatchPlan, dOutput: BufferSlice, output: BufferSlice, dInput: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhBackward'),
      { dOutput: dOutput.buffer, output: output.buffer, dInput: dInput.buffer },
      packUniforms(L.tanhElementwise, { count, offsetIn: dOutput.offset, offsetSaved: output.offset, offsetOut: dInput.offset }),
      this.elementwiseGrid(count),
      label,
    );
  },

  /** out[r, j] = W[j, token[r]] + bias0[j] (+ bias1[j]) for rows r of the token buffer. */
  embeddingForward(
    this: KernelSet,
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; biasOffsets: [number] | [number, number]; output: BufferSlice; rows: number; width: number; vocabulary: number },
    label: string,
  ): DispatchHandle {
    // Four hidden units per invocation where the projections and biases can be read as vec4s (embedding_vec4.wgsl).
    const key = embeddingForwardKey([args.width, args.output.offset, ...args.biasOffsets]);
    const vec4 = key === 'embeddingForwardVec4';
    return plan.add(
      this.kernel(key),
      { tokens: args.tokens, parameters: args.parameters, projections: args.output.buffer },
      embeddingUniforms(args.rows, args.width, args.vocabulary, args.weightOffset, args.biasOffsets[0], args.biasOffsets[1] ?? NONE, args.output.offset),
      this.elementwiseGrid(vec4 ? Math.ceil(args.rows / EMBEDDING_ROWS_PER_INVOCATION) * (args.width / 4) : args.rows * args.width),
      label,
    );
  },

  /**
   * dW[j, v] += Σ_{r : token[r] = v} dA[r, j], and with `biasOffsets` also db[j] += Σ_r dA[r, j] at each
   * of them: in one pass over all rows (embedding.wgsl), then the column sums (columnSums); or, given
   * `grouped` (groupedTokenRowsWords(rows, vocabulary) words of scratch; CPU adapters, see
   * embeddingGradientKeys), the rows grouped by token and then each column's walk over its token's rows
   * (embedding_backward.wgsl), which sums the bias gradient from the same loads. dW's sums are the same
   * either way; the bias's are taken token by token in the walk.
   */
  embeddingBackward(
    this: KernelSet,
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; grouped?: GPUBuffer; dPreactivations: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; width: number; vocabulary: number; biasOffsets?: number[] },
    label: string,
  ): DispatchHandle {
    const biasOffsets = args.biasOffsets ?? [];
    if (biasOffsets.length > 2) throw new Error(`${label}: at most two bias gradients, got ${biasOffsets.length}`);
    const buffers = { dPreactivations: args.dPreactivations.buffer, gradients: args.gradients };
    const { grouped } = args;
    if (!grouped) {
      const uniforms = embeddingUniforms(args.rows, args.width, args.vocabulary, args.weightOffset, NONE, NONE, args.dPreactivations.offset);
      const handle = plan.add(this.kernel('embeddingBackward'), { tokens: args.tokens, ...buffers }, uniforms, [Math.ceil(args.width / ELEMENTWISE_WORKGROUP)], label);
      if (biasOffsets.length) this.columnSums(plan, args.dPreactivations, args.rows, args.width, { buffer: args.gradients, offsets: biasOffsets }, `${label}: bias gradients`);
      return handle;
    }
    const words = groupedTokenRowsWords(args.rows, args.vocabulary);
    if (grouped.size < 4 * words) throw new Error(`${label}: the token grouping needs ${4 * words} bytes of scratch, got a buffer of ${grouped.size}`);
    const uniforms = embeddingUniforms(args.rows, args.width, args.vocabulary, args.weightOffset, biasOffsets[0] ?? NONE, biasOffsets[1] ?? NONE, args.dPreactivations.offset);
    const [groupKey, walkKey] = embeddingGradientKeys(true, [args.width, args.dPreactivations.offset], this.llvmpipe);
    plan.add(this.kernel(groupKey), { tokens: args.tokens, grouped }, uniforms, [1], `${label}: rows grouped by token`);
    // The word walk: one unit per invocation; the vec4 walk: `quads` runs of four units (the key's).
    const quads = walkQuadsPerInvocation(args.width, this.llvmpipe);
    const grid = walkKey === 'embeddingBackwardGrouped' ? Math.ceil(args.width / ELEMENTWISE_WORKGROUP) : Math.ceil(args.width / 4 / quads / groupedWalkWorkgroup(quads, ELEMENTWISE_WORKGROUP));
    return plan.add(this.kernel(walkKey), { grouped, ...buffers }, uniforms, [grid], label);
  },

  /** out[r, d] = E[token[r], d]: a learned embedding E [V, D] looked up for every position. */
  embeddingRowsForward(this: KernelSet, plan: DispatchPlan, args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; output: BufferSlice; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsForward'),
      { tokens: args.tokens, parameters: args.parameters, embedded: args.output.buffer },
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.output.offset),
      this.elementwiseGrid(args.rows * args.width),
      label,
    );
  },

  /** dE[token[r], d] += dX[r, d]. */
  embeddingRowsBackward(this: KernelSet, plan: DispatchPlan, args: { tokens: GPUBuffer; dInputs: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsBackward'),
      { tokens: args.tokens, dEmbedded: args.dInputs.buffer, gradients: args.gradients },
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.dInputs.offset),
      [Math.ceil(args.width / ELEMENTWISE_WORKGROUP)],
      label,
    );
  },

  /**
   * out[t, b, :] (=|+=) in[rev(t, b), b, :], rev(t, b) = len_b − 1 − t within each sequence's length
   * (lengths: u32 [B]); rows of `width` words, token ids or floats (accumulate adds floats).
   */
  reverseRows(this: KernelSet, plan: DispatchPlan, args: { lengths: GPUBuffer; input: BufferSlice; output: BufferSlice; timeSteps: number; batch: number; width: number; accumulate: boolean }, label: string): DispatchHandle {
    const count = args.timeSteps * args.batch * args.width;
    return plan.add(
      this.kernel('reverseRows'),
      { lengths: args.lengths, input: args.input.buffer, output: args.output.buffer },
      packUniforms(L.reverseRows, { timeSteps: args.timeSteps, batch: args.batch, width: args.width, inputOffset: args.input.offset, outputOffset: args.output.offset, accumulate: args.accumulate ? 1 : 0 }),
      this.elementwiseGrid(count),
      label,
    );
  },

  /** y[t, b] = [h^fwd_t, h^rev_{rev(t, b)}] [T·B, 2H] from both directions' state buffers (slot s+1 = h_s); uniforms directionUniforms, set per run. */
  joinDirections(this: KernelSet, plan: DispatchPlan, args: { lengths: GPUBuffer; forwardStates: GPUBuffer; reverseStates: GPUBuffer; joined: BufferSlice; timeSteps: number; batch: number; hiddenSize: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('joinDirections'),
      { lengths: args.lengths, forwardStates: args.forwardStates, reverseStates: args.reverseStates, joined: args.joined.buffer },
      directionUniforms(args.timeSteps, args.batch, args.hiddenSize, false, args.joined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * 2 * args.hiddenSize),
      label,
    );
  },

  /** dh^fwd_t = dy[t, b, :H] and dh^rev_s = dy[rev(s, b), b, H:] into slots 1..T of both directions' state gradients. */
  splitDirections(this: KernelSet, plan: DispatchPlan, args: { lengths: GPUBuffer; dJoined: BufferSlice; forwardGradients: GPUBuffer; reverseGradients: GPUBuffer; timeSteps: number; batch: number; hiddenSize: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('splitDirections'),
      { lengths: args.lengths, dJoined: args.dJoined.buffer, forwardGradients: args.forwardGradients, reverseGradients: args.reverseGradients },
      directionUniforms(args.timeSteps, args.batch, args.hiddenSize, false, args.dJoined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * args.hiddenSize),
      label,
    );
  },
};

/** Words of embeddingBackward's scratch: the rows grouped by token, V + 1 group starts and V cursors. */
export function groupedTokenRowsWords(rows: number, vocabulary: number): number {
  return rows + 2 * vocabulary + 1;
}

/** Rows each invocation of embeddingForwardVec4 projects (ROWS_PER_INVOCATION in embedding_vec4.wgsl). */
export const EMBEDDING_ROWS_PER_INVOCATION = 8;
