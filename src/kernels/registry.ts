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
import matmulRegisterLoadsSource from '../../shaders/matmul_register_loads.wgsl?raw';
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

/** 'read': read-only storage; 'write': read-write storage; 'uniform': uniform buffer. */
export type BindingKind = 'read' | 'write' | 'uniform';

export interface KernelSpec {
  sources: readonly string[];
  entryPoint: string;
  bindings: readonly BindingKind[];
}

const READ_READ_READ_WRITE_UNIFORM: BindingKind[] = ['read', 'read', 'read', 'write', 'uniform'];
const READ_READ_WRITE_UNIFORM: BindingKind[] = ['read', 'read', 'write', 'uniform'];

export const KERNELS = {
  matmul: {
    sources: [matmulTileSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
  },
  /** The same kernel on the 64 x 64 core: same bindings, uniforms and semantics. */
  matmulLarge: {
    sources: [matmulTileLargeSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
  },
  /** The same kernel on the register-tile core (no workgroup memory): 8 invocations per workgroup, tile set by ROW_BLOCKS and COLUMN_BLOCKS. */
  matmulRegister: {
    sources: [matmulRegisterTileSource, matmulRegisterLoadsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: READ_READ_READ_WRITE_UNIFORM,
  },
  /** On the register-tile core (ROW_BLOCKS and COLUMN_BLOCKS as for matmulRegister). */
  rnnStep: {
    sources: [matmulRegisterTileSource, rnnStepRegisterLoadsSource, tanhSource, rnnStepSource],
    entryPoint: 'rnnStep',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  lstmCellForward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource],
    entryPoint: 'lstmCellForward',
    bindings: ['write', 'write', 'write', 'uniform'],
  },
  lstmCellBackward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource],
    entryPoint: 'lstmCellBackward',
    bindings: ['write', 'write', 'write', 'uniform'],
  },
  gruCellForward: {
    sources: [tanhSource, sigmoidSource, gruCellSource],
    entryPoint: 'gruCellForward',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  gruCellBackward: {
    sources: [tanhSource, sigmoidSource, gruCellSource],
    entryPoint: 'gruCellBackward',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  sumSquaresPartial: {
    sources: [gradientNormSource],
    entryPoint: 'sumSquaresPartial',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  finishNorm: {
    sources: [gradientNormSource],
    entryPoint: 'finishNorm',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  scaleGradients: {
    sources: [gradientNormSource],
    entryPoint: 'scaleGradients',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  sampleToken: {
    sources: [sampleTokenSource],
    entryPoint: 'sampleToken',
    bindings: ['read', 'write', 'write', 'uniform'],
  },
  dropoutForward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutForward',
    bindings: ['read', 'write', 'uniform'],
  },
  dropoutBackward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutBackward',
    bindings: ['read', 'write', 'uniform'],
  },
  tanhForward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhForward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  tanhBackward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhBackward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  embeddingForward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingForward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  embeddingBackward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingBackward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  embeddingRowsForward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingRowsForward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  embeddingRowsBackward: {
    sources: [embeddingSource],
    entryPoint: 'embeddingRowsBackward',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  softmaxCrossEntropy: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropy',
    bindings: ['read', 'write', 'write', 'uniform'],
  },
  softmaxCrossEntropyPerRow: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropyPerRow',
    bindings: ['read', 'write', 'write', 'uniform'],
  },
  meanSquaredError: {
    sources: [meanSquaredErrorSource],
    entryPoint: 'meanSquaredError',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
  },
  columnSums: {
    sources: [reduceSource],
    entryPoint: 'columnSums',
    bindings: ['read', 'write', 'uniform'],
  },
  meanLoss: {
    sources: [reduceSource],
    entryPoint: 'meanLoss',
    bindings: ['read', 'write', 'uniform'],
  },
  sgdUpdate: {
    sources: [sgdSource],
    entryPoint: 'sgdUpdate',
    bindings: ['read', 'write', 'write', 'uniform'],
  },
  rmspropUpdate: {
    sources: [rmspropSource],
    entryPoint: 'rmspropUpdate',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  adamUpdate: {
    sources: [adamSource],
    entryPoint: 'adamUpdate',
    bindings: ['read', 'write', 'write', 'write', 'uniform'],
  },
  /** Bidirectional layers: rows reversed within each sequence's length; the two directions joined and split. */
  reverseRows: {
    sources: [bidirectionalSource, reverseRowsSource],
    entryPoint: 'reverseRows',
    bindings: READ_READ_WRITE_UNIFORM,
  },
  joinDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'joinDirections',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
  },
  splitDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'splitDirections',
    bindings: ['read', 'read', 'write', 'write', 'uniform'],
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** Tile of the shared matmul core (matmul_tile.wgsl): each workgroup computes TILE x TILE outputs. */
export const MATMUL_TILE = 32;
/** Tile of the large matmul core (matmul_tile_large.wgsl): TILE x TILE outputs per workgroup. */
export const MATMUL_LARGE_TILE = 64;
