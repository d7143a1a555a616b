/**
 * The choices of kernel that depend on a model's configuration, made once here and
 * called both by the op functions that dispatch them and by kernelsNeededBy (which
 * compiles them), so that the two cannot drift apart.
 */
import type { OptimizerKernel } from './op-args.ts';

/** Up to this many classes, softmax cross-entropy runs one invocation per row; above, one workgroup per row. */
export const PER_ROW_SOFTMAX_MAX_CLASSES = 2048;

/** The softmax cross-entropy kernel for `classes` classes. */
export function crossEntropyKernel(classes: number): 'softmaxCrossEntropyPerRow' | 'softmaxCrossEntropy' {
  return classes <= PER_ROW_SOFTMAX_MAX_CLASSES ? 'softmaxCrossEntropyPerRow' : 'softmaxCrossEntropy';
}

/** The loss kernel of a model: mean squared error, or softmax cross-entropy over `classes` classes. */
export function lossKernel(loss: 'cross-entropy' | 'mse', classes: number): 'meanSquaredError' | ReturnType<typeof crossEntropyKernel> {
  return loss === 'mse' ? 'meanSquaredError' : crossEntropyKernel(classes);
}

/** The update kernel of an optimizer type: AdamW is Adam with decoupled weight decay (adam.wgsl's `decoupled`). */
export function optimizerKernel(type: OptimizerKernel | 'adamw'): OptimizerKernel {
  return type === 'adamw' ? 'adam' : type;
}

/** Invocations of an optimizer's update over `count` parameters: Adam takes four per invocation (adam.wgsl). */
export function updateInvocations(kernel: OptimizerKernel, count: number): number {
  return kernel === 'adam' ? Math.ceil(count / 4) : count;
}

/** The pipeline key of an optimizer type's update. */
export function optimizerKernelKey(type: OptimizerKernel | 'adamw'): `${OptimizerKernel}Update` {
  return `${optimizerKernel(type)}Update`;
}

/**
 * How token inputs enter the first layer: 'lookup', a learned embedding E [V, D] whose rows
 * are gathered (embeddingSize D > 0; embeddingRowsForward/Backward), or 'one-hot', W_ih's
 * columns gathered as the input projection (embeddingForward/Backward); 'dense' inputs take
 * neither (their projection is a matmul).
 */
export function tokenInput(config: { inputKind: 'tokens' | 'dense'; embeddingSize: number }): 'lookup' | 'one-hot' | 'dense' {
  if (config.inputKind === 'dense') return 'dense';
  return config.embeddingSize > 0 ? 'lookup' : 'one-hot';
}

/** The kernels of each kind of input (tokenInput), forward then backward. */
export const TOKEN_INPUT_KERNELS = {
  lookup: ['embeddingRowsForward', 'embeddingRowsBackward'],
  'one-hot': ['embeddingForward', 'embeddingBackward'],
  dense: [],
} as const;

/** Dropout runs at the boundaries between stacked layers: with p > 0 and more than one layer. */
export function dropoutBetweenLayers(config: { dropout: number; layers: number }): boolean {
  return config.dropout > 0 && config.layers > 1;
}

/** The LSTM and GRU cell kernels, each with a variant on vec4s (lstm_cell_vec4.wgsl, gru_cell_vec4.wgsl). */
export type CellKernel = 'lstmCellForward' | 'lstmCellBackward' | 'gruCellForward' | 'gruCellBackward';

/**
 * Whether every value (H, element offsets) is a multiple of 4: where the vec4 variants (the cells', the
 * fused RNN step's, the one-hot input projection's) may bind their buffers as vec4s. On llvmpipe, whose every storage load
 * or store is a loop over the SIMD lanes whatever its width, they make 4x fewer. A model's layers pass
 * offsets that are multiples of H (t·G·B·H, T·G·B·H; parameters 64-aligned), so there H alone decides
 * (kernelsNeededBy passes only H).
 */
export function multiplesOf4(values: readonly number[]): boolean {
  return values.every((value) => value % 4 === 0);
}

/**
 * The pipeline key of a cell dispatch, from its uniform values: the vec4 variant (four neighbouring hidden
 * units per invocation, the buffers bound as vec4s) when hiddenSize and every `…Offset` (in words) are
 * multiples of 4, the word kernel otherwise; `vec4` false forces the word kernel (tests, benchmarks). The
 * two give the same results bit for bit (one set of formulas, lstm_cell.wgsl and gru_cell.wgsl).
 */
export function cellKernelKey<K extends CellKernel>(kernel: K, uniforms: { hiddenSize: number } & { [field: string]: number }, vec4 = true): K | `${K}Vec4` {
  const checked = Object.entries(uniforms).filter(([field]) => field === 'hiddenSize' || field.endsWith('Offset'));
  return vec4 && multiplesOf4(checked.map(([, value]) => value)) ? `${kernel}Vec4` : kernel;
}

/**
 * The one-hot input projection's kernel: four hidden units per invocation with the projections and biases
 * as vec4s (embedding_vec4.wgsl) where the width and those offsets are multiples of 4. A model's biases
 * start at multiples of 64 and its projections at multiples of the width, so there the width (G·H) alone
 * decides (kernelsNeededBy passes only that).
 */
export function embeddingForwardKey(widthAndOffsets: readonly number[]): 'embeddingForward' | 'embeddingForwardVec4' {
  return multiplesOf4(widthAndOffsets) ? 'embeddingForwardVec4' : 'embeddingForward';
}

/**
 * The one-hot input projection's weight-gradient kernels: on a GPU one pass over all rows
 * (embeddingBackward); on a CPU adapter the rows grouped by token, then the walk over each token's
 * rows, four hidden units per invocation where the width and dA's offset are multiples of 4
 * (embedding_backward.wgsl, embedding_backward_vec4.wgsl). A model's dA starts at a multiple of its
 * width, so there the width alone decides (kernelsNeededBy passes only that).
 */
export function embeddingGradientKeys(cpuAdapter: boolean, widthAndOffset: readonly number[], llvmpipe = false): string[] {
  if (!cpuAdapter) return ['embeddingBackward'];
  if (!multiplesOf4(widthAndOffset)) return ['groupTokenRows', 'embeddingBackwardGrouped'];
  return ['groupTokenRows', groupedWalkVec4Key(walkQuadsPerInvocation(widthAndOffset[0], llvmpipe))];
}

/** Runs of four units an invocation of the vec4 walk over grouped rows may own (QUADS_PER_INVOCATION). */
export const GROUPED_WALK_QUADS = [1, 2, 4, 8] as const;
/** Invocations per workgroup of that walk when each owns more than one run (one run: ELEMENTWISE_WORKGROUP). */
const GROUPED_WALK_WIDE_WORKGROUP = 16;
/** Fewest workgroups the walk keeps while it gives each invocation more runs. */
const GROUPED_WALK_MIN_WORKGROUPS = 4;

/**
 * Runs of four hidden units per invocation of the vec4 walk for a width (G·H): on llvmpipe the most of
 * 8, 4, 2 that divide width / 4 and still leave GROUPED_WALK_MIN_WORKGROUPS workgroups of 16, else 1.
 * Each row's index load then serves that many vec4 loads: lstm-l's walk (width 2048) ran 1.7x faster
 * with 8 than with 1 (the loads of one run per invocation dominated). SwiftShader's ran 1.7x slower
 * with 4 (lstm-m), so there it keeps one.
 */
export function walkQuadsPerInvocation(width: number, llvmpipe: boolean): number {
  if (!llvmpipe) return 1;
  const quads = width / 4;
  const fits = GROUPED_WALK_QUADS.filter((q) => q > 1 && quads % q === 0 && Math.ceil(quads / q / GROUPED_WALK_WIDE_WORKGROUP) >= GROUPED_WALK_MIN_WORKGROUPS);
  return fits.length ? Math.max(...fits) : 1;
}

/** Invocations per workgroup of the vec4 walk with `quads` runs of four units per invocation. */
export function groupedWalkWorkgroup(quads: number, elementwiseWorkgroup: number): number {
  return quads === 1 ? elementwiseWorkgroup : GROUPED_WALK_WIDE_WORKGROUP;
}

/** The pipeline key of the vec4 walk with `quads` runs of four units per invocation. */
export function groupedWalkVec4Key(quads: number): string {
  return quads === 1 ? 'embeddingBackwardGroupedVec4' : `embeddingBackwardGroupedVec4 x${quads}`;
}
