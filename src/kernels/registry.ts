/**
 * The kernel registry: the one module that imports WGSL. For each kernel it
 * names the source files (concatenated in order, so shared helpers such as the
 * tiled matmul core come first), the entry point and the bindings, in the order
 * read-only storage, read-write storage, uniforms.
 */
import adamSource from '../../shaders/adam.wgsl?raw';
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import embeddingSource from '../../shaders/embedding.wgsl?raw';
import gradientNormSource from '../../shaders/gradient_norm.wgsl?raw';
import gruCellSource from '../../shaders/gru_cell.wgsl?raw';
import lstmCellSource from '../../shaders/lstm_cell.wgsl?raw';
import meanSquaredErrorSource from '../../shaders/mean_squared_error.wgsl?raw';
import matmulSource from '../../shaders/matmul.wgsl?raw';
import matmulTileSource from '../../shaders/matmul_tile.wgsl?raw';
import matmulTileLargeSource from '../../shaders/matmul_tile_large.wgsl?raw';
import matmulOperandsSource from '../../shaders/matmul_operands.wgsl?raw';
import matmulRegisterLoadsSource from '../../shaders/matmul_register_loads.wgsl?raw';
import matmulRegisterLoadsVec4Source from '../../shaders/matmul_register_loads_vec4.wgsl?raw';
import registerWordBlocksSource from '../../shaders/register_word_blocks.wgsl?raw';
import matmulRegisterTileSource from '../../shaders/matmul_register_tile.wgsl?raw';
import rnnStepRegisterLoadsSource from '../../shaders/rnn_step_register_loads.wgsl?raw';
import reduceSource from '../../shaders/reduce.wgsl?raw';
import rnnStepSource from '../../shaders/rnn_step.wgsl?raw';
import rmspropSource from '../../shaders/rmsprop.wgsl?raw';
import sampleTokenSource from '../../shaders/sample_token.wgsl?raw';
import sgdSource from '../../shaders/sgd.wgsl?raw';
import sigmoidSource from '../../shaders/sigmoid.wgsl?raw';
import softmaxCrossEntropySource from '../../shaders/softmax_cross_entropy.wgsl?raw';
import tanhSource from '../../shaders/tanh.wgsl?raw';
import tanhElementwiseSource from '../../shaders/tanh_elementwise.wgsl?raw';
import bidirectionalSource from '../../shaders/bidirectional.wgsl?raw';
import bidirectionalJoinSource from '../../shaders/bidirectional_join.wgsl?raw';
import reverseRowsSource from '../../shaders/reverse_rows.wgsl?raw';
import type { UniformLayout } from './uniforms.ts';

/**
 * The uniform struct of each kernel (the struct bound as `var<uniform>`), field by
 * field in WGSL order; test/uniform-layouts.test.ts checks them against the sources.
 */
export const UNIFORM_LAYOUTS = {
  matmul: { m: 'u32', n: 'u32', k: 'u32', offsetA: 'u32', offsetB: 'u32', offsetC: 'u32', biasOffset0: 'u32', biasOffset1: 'u32', accumulate: 'u32' },
  rnnStep: { batch: 'u32', hidden: 'u32', weightOffset: 'u32', sourceOffset: 'u32', targetOffset: 'u32', savedOffset: 'u32' },
  lstmCell: { batch: 'u32', hidden: 'u32', gatesOffset: 'u32', cellOffset: 'u32', hiddenOffset: 'u32', cellGradientOffset: 'u32' },
  gruCell: { batch: 'u32', hidden: 'u32', inputPartOffset: 'u32', recurrentPartOffset: 'u32', previousOffset: 'u32', gradientOffset: 'u32' },
  gradientNorm: { count: 'u32', maxNorm: 'f32', historySlot: 'u32', updateGridX: 'u32', updateGridY: 'u32' },
  sampleToken: { classes: 'u32', logitsOffset: 'u32', topK: 'u32', key: 'u32', inverseTemperature: 'f32' },
  dropout: { count: 'u32', key: 'u32', dropProbability: 'f32', keptScale: 'f32', inputOffset: 'u32', outputOffset: 'u32' },
  tanhElementwise: { count: 'u32', offsetIn: 'u32', offsetSaved: 'u32', offsetOut: 'u32' },
  embedding: { rows: 'u32', hidden: 'u32', vocabulary: 'u32', weightOffset: 'u32', biasOffset0: 'u32', biasOffset1: 'u32', outputOffset: 'u32' },
  softmaxCrossEntropy: { rows: 'u32', classes: 'u32', logitsOffset: 'u32', inverseCount: 'f32' },
  meanSquaredError: { rows: 'u32', classes: 'u32', outputsOffset: 'u32', gradientScale: 'f32' },
  reduce: { rows: 'u32', cols: 'u32', inputOffset: 'u32', outputOffset0: 'u32', outputOffset1: 'u32', scale: 'f32' },
  sgd: { count: 'u32', learningRate: 'f32', momentum: 'f32', weightDecay: 'f32', nesterov: 'u32' },
  rmsprop: { count: 'u32', learningRate: 'f32', alpha: 'f32', oneMinusAlpha: 'f32', epsilon: 'f32', weightDecay: 'f32', momentum: 'f32' },
  adam: {
    count: 'u32', learningRate: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', oneMinusBeta1: 'f32', oneMinusBeta2: 'f32',
    biasCorrection1: 'f32', biasCorrection2Sqrt: 'f32', weightDecay: 'f32', decoupled: 'u32',
  },
  reverseRows: { timeSteps: 'u32', batch: 'u32', width: 'u32', inputOffset: 'u32', outputOffset: 'u32', accumulate: 'u32' },
  direction: { timeSteps: 'u32', batch: 'u32', hidden: 'u32', summary: 'u32', joinedOffset: 'u32' },
} as const satisfies Record<string, UniformLayout>;

const L = UNIFORM_LAYOUTS;

/** 'read': read-only storage; 'write': read-write storage; 'uniform': uniform buffer. */
export type BindingKind = 'read' | 'write' | 'uniform';

export interface KernelSpec {
  sources: readonly string[];
  entryPoint: string;
  bindings: readonly BindingKind[];
  /** The struct bound as `var<uniform>`, field by field. */
  uniforms: UniformLayout;
}

const READ_READ_READ_WRITE_UNIFORM: BindingKind[] = ['read', 'read', 'read', 'write', 'uniform'];
const READ_READ_WRITE_UNIFORM: BindingKind[] = ['read', 'read', 'write', 'uniform'];

export const KERNELS = {
  matmul: {
    sources: [matmulTileSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
    uniforms: L.matmul,
  },
  /** The same kernel on the 64 x 64 core: same bindings, uniforms and semantics. */
  matmulLarge: {
    sources: [matmulTileLargeSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
    uniforms: L.matmul,
  },
  /** The same kernel on the register-tile core (no workgroup memory): 8 invocations per workgroup, tile set by ROW_BLOCKS and COLUMN_BLOCKS. */
  matmulRegister: {
    sources: [matmulRegisterTileSource, registerWordBlocksSource, matmulRegisterLoadsSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
    uniforms: L.matmul,
  },
  /** matmulRegister with the operands bound as vec4s (4x fewer loads), for products whose offsets and row lengths allow it (matmul-choice.ts vec4Operands). */
  matmulRegisterVec4: {
    sources: [matmulRegisterTileSource, matmulRegisterLoadsVec4Source, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
    uniforms: L.matmul,
  },
  /** On the register-tile core (ROW_BLOCKS and COLUMN_BLOCKS as for matmulRegister). */
  rnnStep: {
    sources: [matmulRegisterTileSource, registerWordBlocksSource, rnnStepRegisterLoadsSource, tanhSource, rnnStepSource],
    entryPoint: 'rnnStep',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.rnnStep,
  },
  lstmCellForward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource],
    entryPoint: 'lstmCellForward',
    bindings: ['write', 'write', 'write', 'uniform'],
    uniforms: L.lstmCell,
  },
  lstmCellBackward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource],
    entryPoint: 'lstmCellBackward',
    bindings: ['write', 'write', 'write', 'uniform'],
    uniforms: L.lstmCell,
  },
  gruCellForward: {
    sources: [tanhSource, sigmoidSource, gruCellSource],
    entryPoint: 'gruCellForward',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.gruCell,
  },
  gruCellBackward: {
    sources: [tanhSource, sigmoidSource, gruCellSource],
    entryPoint: 'gruCellBackward',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.gruCell,
  },
  sumSquaresPartial: {
    sources: [gradientNormSource],
    entryPoint: 'sumSquaresPartial',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.gradientNorm,
  },
  finishNorm: {
    sources: [gradientNormSource],
    entryPoint: 'finishNorm',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.gradientNorm,
  },
  scaleGradients: {
    sources: [gradientNormSource],
    entryPoint: 'scaleGradients',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.gradientNorm,
  },
  sampleToken: {
    sources: [sampleTokenSource],
    entryPoint: 'sampleToken',
    bindings: ['read', 'write', 'write', 'uniform'],
    uniforms: L.sampleToken,
  },
  dropoutForward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutForward',
    bindings: ['read', 'write', 'uniform'],
    uniforms: L.dropout,
  },
  dropoutBackward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutBackward',
    bindings: ['read', 'write', 'uniform'],
    uniforms: L.dropout,
  },
  tanhForward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhForward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.tanhElementwise,
  },
  tanhBackward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhBackward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.tanhElementwise,
  },
  embeddingForward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingForward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.embedding,
  },
  embeddingBackward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingBackward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.embedding,
  },
  embeddingRowsForward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingRowsForward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.embedding,
  },
  embeddingRowsBackward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingRowsBackward',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.embedding,
  },
  softmaxCrossEntropy: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropy',
    bindings: ['read', 'write', 'write', 'uniform'],
    uniforms: L.softmaxCrossEntropy,
  },
  softmaxCrossEntropyPerRow: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropyPerRow',
    bindings: ['read', 'write', 'write', 'uniform'],
    uniforms: L.softmaxCrossEntropy,
  },
  meanSquaredError: {
    sources: [meanSquaredErrorSource],
    entryPoint: 'meanSquaredError',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
    uniforms: L.meanSquaredError,
  },
  columnSums: {
    sources: [reduceSource],
    entryPoint: 'columnSums',
    bindings: ['read', 'write', 'uniform'],
    uniforms: L.reduce,
  },
  meanLoss: {
    sources: [reduceSource],
    entryPoint: 'meanLoss',
    bindings: ['read', 'write', 'uniform'],
    uniforms: L.reduce,
  },
  sgdUpdate: {
    sources: [sgdSource],
    entryPoint: 'sgdUpdate',
    bindings: ['read', 'write', 'write', 'uniform'],
    uniforms: L.sgd,
  },
  rmspropUpdate: {
    sources: [rmspropSource],
    entryPoint: 'rmspropUpdate',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.rmsprop,
  },
  adamUpdate: {
    sources: [adamSource],
    entryPoint: 'adamUpdate',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
    uniforms: L.adam,
  },
  /** Bidirectional layers: rows reversed within each sequence's length; the two directions joined and split. */
  reverseRows: {
    sources: [bidirectionalSource, reverseRowsSource],
    entryPoint: 'reverseRows',
    bindings: READ_READ_WRITE_UNIFORM,
    uniforms: L.reverseRows,
  },
  joinDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'joinDirections',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
    uniforms: L.direction,
  },
  splitDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'splitDirections',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
    uniforms: L.direction,
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** Tile of the shared matmul core (matmul_tile.wgsl): each workgroup computes TILE x TILE outputs. */
export const MATMUL_TILE = 32;
/** Tile of the large matmul core (matmul_tile_large.wgsl): TILE x TILE outputs per workgroup. */
export const MATMUL_LARGE_TILE = 64;
