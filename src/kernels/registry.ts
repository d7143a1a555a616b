/**
 * The kernel registry: the one module that imports WGSL. For each kernel it
 * names the source files (concatenated in order, so shared helpers such as the
 * tiled matmul core come first), the entry point, the bindings by WGSL variable
 * name (exactly those the entry point uses) and the uniform layout.
 * test/uniform-layouts.test.ts and test/binding-declarations.test.ts check the
 * declarations against the sources.
 */
import adamSource from '../../shaders/adam.wgsl?raw';
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import embeddingSource from '../../shaders/embedding.wgsl?raw';
import embeddingBackwardSource from '../../shaders/embedding_backward.wgsl?raw';
import embeddingBackwardVec4Source from '../../shaders/embedding_backward_vec4.wgsl?raw';
import embeddingUniformsSource from '../../shaders/embedding_uniforms.wgsl?raw';
import embeddingVec4Source from '../../shaders/embedding_vec4.wgsl?raw';
import gradientNormSource from '../../shaders/gradient_norm.wgsl?raw';
import gruCellSource from '../../shaders/gru_cell.wgsl?raw';
import gruCellVec4Source from '../../shaders/gru_cell_vec4.wgsl?raw';
import gruCellWordsSource from '../../shaders/gru_cell_words.wgsl?raw';
import lstmCellSource from '../../shaders/lstm_cell.wgsl?raw';
import lstmCellVec4Source from '../../shaders/lstm_cell_vec4.wgsl?raw';
import lstmCellWordsSource from '../../shaders/lstm_cell_words.wgsl?raw';
import meanSquaredErrorSource from '../../shaders/mean_squared_error.wgsl?raw';
import matmulSource from '../../shaders/matmul.wgsl?raw';
import matmulTileSource from '../../shaders/matmul_tile.wgsl?raw';
import matmulTileLargeSource from '../../shaders/matmul_tile_large.wgsl?raw';
import matmulOperandsSource from '../../shaders/matmul_operands.wgsl?raw';
import matmulRegisterLoadsSource from '../../shaders/matmul_register_loads.wgsl?raw';
import matmulRegisterLoadsVec4Source from '../../shaders/matmul_register_loads_vec4.wgsl?raw';
import matmulTextureOperandsSource from '../../shaders/matmul_texture_operands.wgsl?raw';
import matmulVec4BuffersSource from '../../shaders/matmul_vec4_buffers.wgsl?raw';
import operandPanelsSource from '../../shaders/operand_panels.wgsl?raw';
import operandTextureSource from '../../shaders/operand_texture.wgsl?raw';
import registerRowStoresSource from '../../shaders/register_row_stores.wgsl?raw';
import registerWordBlocksSource from '../../shaders/register_word_blocks.wgsl?raw';
import matmulRegisterTileSource from '../../shaders/matmul_register_tile.wgsl?raw';
import rnnStepRegisterLoadsSource from '../../shaders/rnn_step_register_loads.wgsl?raw';
import rnnStepRegisterLoadsVec4Source from '../../shaders/rnn_step_register_loads_vec4.wgsl?raw';
import reduceSource from '../../shaders/reduce.wgsl?raw';
import rnnStepSource from '../../shaders/rnn_step.wgsl?raw';
import rnnStepBackwardSource from '../../shaders/rnn_step_backward.wgsl?raw';
import rnnStepForwardSource from '../../shaders/rnn_step_forward.wgsl?raw';
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
import { type Bindings, type BuffersFor, read, readWrite, texture, textureWrite, uniform, unusedWhen } from './bindings.ts';
import type { UniformLayout } from './uniforms.ts';

/**
 * The uniform struct of each kernel (the struct bound as `var<uniform>`), field by
 * field in WGSL order; test/uniform-layouts.test.ts checks them against the sources.
 */
export const UNIFORM_LAYOUTS = {
  matmul: { m: 'u32', n: 'u32', k: 'u32', offsetA: 'u32', offsetB: 'u32', offsetC: 'u32', biasOffset0: 'u32', biasOffset1: 'u32', accumulate: 'u32' },
  operandPanels: { k: 'u32', n: 'u32', panelWidth: 'u32', sourceOffset: 'u32', transposed: 'u32', blocks: 'u32', gridWidth: 'u32' },
  rnnStep: { batch: 'u32', hiddenSize: 'u32', weightOffset: 'u32', sourceOffset: 'u32', targetOffset: 'u32', savedOffset: 'u32' },
  lstmCell: { batch: 'u32', hiddenSize: 'u32', gatesOffset: 'u32', cellOffset: 'u32', hiddenOffset: 'u32', cellGradientOffset: 'u32' },
  gruCell: { batch: 'u32', hiddenSize: 'u32', inputPartOffset: 'u32', recurrentPartOffset: 'u32', previousOffset: 'u32', gradientOffset: 'u32' },
  gradientNorm: { count: 'u32', maxNorm: 'f32', historySlot: 'u32', updateGridX: 'u32', updateGridY: 'u32' },
  sampleToken: { classes: 'u32', logitsOffset: 'u32', topK: 'u32', key: 'u32', inverseTemperature: 'f32' },
  dropout: { count: 'u32', key: 'u32', dropProbability: 'f32', keptScale: 'f32', inputOffset: 'u32', outputOffset: 'u32' },
  tanhElementwise: { count: 'u32', offsetIn: 'u32', offsetSaved: 'u32', offsetOut: 'u32' },
  embedding: { rows: 'u32', width: 'u32', vocabulary: 'u32', weightOffset: 'u32', biasOffset0: 'u32', biasOffset1: 'u32', outputOffset: 'u32' },
  softmaxCrossEntropy: { rows: 'u32', classes: 'u32', logitsOffset: 'u32', inverseCount: 'f32', rowLength: 'u32' },
  meanSquaredError: { rows: 'u32', classes: 'u32', outputsOffset: 'u32', gradientScale: 'f32', rowLength: 'u32' },
  reduce: { rows: 'u32', cols: 'u32', inputOffset: 'u32', outputOffset0: 'u32', outputOffset1: 'u32', scale: 'f32' },
  sgd: { count: 'u32', learningRate: 'f32', momentum: 'f32', weightDecay: 'f32', nesterov: 'u32' },
  rmsprop: { count: 'u32', learningRate: 'f32', alpha: 'f32', oneMinusAlpha: 'f32', epsilon: 'f32', weightDecay: 'f32', momentum: 'f32' },
  adam: {
    count: 'u32', learningRate: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', oneMinusBeta1: 'f32', oneMinusBeta2: 'f32',
    biasCorrection1: 'f32', biasCorrection2Sqrt: 'f32', weightDecay: 'f32', decoupled: 'u32',
  },
  reverseRows: { timeSteps: 'u32', batch: 'u32', width: 'u32', inputOffset: 'u32', outputOffset: 'u32', accumulate: 'u32' },
  direction: { timeSteps: 'u32', batch: 'u32', hiddenSize: 'u32', summary: 'u32', joinedOffset: 'u32' },
} as const satisfies Record<string, UniformLayout>;

const L = UNIFORM_LAYOUTS;

export interface KernelSpec {
  sources: readonly string[];
  entryPoint: string;
  /** Every binding the entry point uses, by WGSL variable name (bindings.ts). */
  bindings: Bindings;
  /** The struct bound as `var<uniform>`, field by field. */
  uniforms: UniformLayout;
}

/** C (=|+=) opA(a)·opB(b) + bias: the bias offsets are uniforms, NONE when absent. */
const MATMUL_BINDINGS = { a: read(0), b: read(1), bias: unusedWhen(read(2), 'both bias offsets are NONE'), c: readWrite(3), u: uniform(4) };
/** The same with A and B packed into operand textures (operand-textures.ts), and C's earlier values copied into one when accumulating. */
const MATMUL_TEXTURE_BINDINGS = { ...MATMUL_BINDINGS, a: texture(0), b: texture(1), priorC: texture(5) };
/** The fused RNN step: W_hh from the parameters, the state slots updated in place. */
const RNN_STEP_FORWARD_BINDINGS = { weights: read(0), states: readWrite(2), u: uniform(3) };
const RNN_STEP_BACKWARD_BINDINGS = { ...RNN_STEP_FORWARD_BINDINGS, saved: read(1) };
const LSTM_BINDINGS = { saved: readWrite(0), stepStates: readWrite(1), u: uniform(3) };
const LSTM_BACKWARD_BINDINGS = { ...LSTM_BINDINGS, work: readWrite(2) };
const GRU_FORWARD_BINDINGS = { saved: readWrite(1), stepStates: readWrite(2), u: uniform(4) };
const GRU_BACKWARD_BINDINGS = { states: read(0), saved: readWrite(1), stepStates: readWrite(2), work: readWrite(3), u: uniform(4) };
const SOFTMAX_BINDINGS = { targets: read(0), logits: readWrite(1), rowLosses: readWrite(2), u: uniform(3) };
const REDUCE_BINDINGS = { input: read(0), output: readWrite(1), u: uniform(2) };
/** The walk over each token's grouped rows (embedding_backward.wgsl and its vec4 twin). */
const GROUPED_EMBEDDING_BACKWARD_BINDINGS = { grouped: readWrite(1), dPreactivations: read(2), gradients: readWrite(3), u: uniform(4) };

export const KERNELS = {
  matmul: {
    sources: [matmulTileSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: MATMUL_BINDINGS,
    uniforms: L.matmul,
  },
  /** The same kernel on the 64 x 64 core: same bindings, uniforms and semantics. */
  matmulLarge: {
    sources: [matmulTileLargeSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: MATMUL_BINDINGS,
    uniforms: L.matmul,
  },
  /** The same kernel on the register-tile core (no workgroup memory): 8 invocations per workgroup, tile set by ROW_BLOCKS and COLUMN_BLOCKS. */
  matmulRegister: {
    sources: [matmulRegisterTileSource, registerRowStoresSource, registerWordBlocksSource, matmulRegisterLoadsSource, matmulOperandsSource, matmulSource],
    entryPoint: 'matmul',
    bindings: MATMUL_BINDINGS,
    uniforms: L.matmul,
  },
  /** matmulRegister with the operands bound as vec4s (4x fewer loads), for products whose offsets and row lengths allow it (matmul-choice.ts vec4Operands). */
  matmulRegisterVec4: {
    sources: [matmulRegisterTileSource, matmulVec4BuffersSource, matmulRegisterLoadsVec4Source, matmulSource],
    entryPoint: 'matmul',
    bindings: MATMUL_BINDINGS,
    uniforms: L.matmul,
  },
  /**
   * matmulRegisterVec4 reading A and B from operand textures (A's offset relative to its copy's start,
   * B packed in column panels by packPanels): on llvmpipe a texture load costs far less than a
   * storage-buffer load.
   */
  matmulRegisterTexture: {
    sources: [matmulRegisterTileSource, operandTextureSource, matmulTextureOperandsSource, matmulRegisterLoadsVec4Source, matmulSource],
    entryPoint: 'matmul',
    bindings: MATMUL_TEXTURE_BINDINGS,
    uniforms: L.matmul,
  },
  /** opB of a texture-operand product packed into column panels of its register tile's width (operand_panels.wgsl). */
  packPanels: {
    sources: [operandTextureSource, operandPanelsSource],
    entryPoint: 'packPanels',
    bindings: { source: read(0), packed: textureWrite(1), u: uniform(2) },
    uniforms: L.operandPanels,
  },

  /** On the register-tile core (ROW_BLOCKS and COLUMN_BLOCKS as for matmulRegister), word loads (K_STEP 1). */
  rnnStepForward: {
    sources: [matmulRegisterTileSource, rnnStepRegisterLoadsSource, tanhSource, registerRowStoresSource, rnnStepSource, rnnStepForwardSource],
    entryPoint: 'rnnStepForward',
    bindings: RNN_STEP_FORWARD_BINDINGS,
    uniforms: L.rnnStep,
  },
  /** As rnnStepForward, reading h_t from the saved hidden states. */
  rnnStepBackward: {
    sources: [matmulRegisterTileSource, rnnStepRegisterLoadsSource, tanhSource, registerRowStoresSource, rnnStepSource, rnnStepBackwardSource],
    entryPoint: 'rnnStepBackward',
    bindings: RNN_STEP_BACKWARD_BINDINGS,
    uniforms: L.rnnStep,
  },
  /** rnnStepForward with the buffers bound as vec4s (K_STEP 4), where H and the offsets are multiples of 4 (kernel-choice.ts multiplesOf4). */
  rnnStepForwardVec4: {
    sources: [matmulRegisterTileSource, rnnStepRegisterLoadsVec4Source, tanhSource, registerRowStoresSource, rnnStepSource, rnnStepForwardSource],
    entryPoint: 'rnnStepForward',
    bindings: RNN_STEP_FORWARD_BINDINGS,
    uniforms: L.rnnStep,
  },
  rnnStepBackwardVec4: {
    sources: [matmulRegisterTileSource, rnnStepRegisterLoadsVec4Source, tanhSource, registerRowStoresSource, rnnStepSource, rnnStepBackwardSource],
    entryPoint: 'rnnStepBackward',
    bindings: RNN_STEP_BACKWARD_BINDINGS,
    uniforms: L.rnnStep,
  },
  /** The LSTM cell one hidden unit per invocation (any H). */
  lstmCellForward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource, lstmCellWordsSource],
    entryPoint: 'lstmCellForward',
    bindings: LSTM_BINDINGS,
    uniforms: L.lstmCell,
  },
  lstmCellBackward: {
    sources: [tanhSource, sigmoidSource, lstmCellSource, lstmCellWordsSource],
    entryPoint: 'lstmCellBackward',
    bindings: LSTM_BACKWARD_BINDINGS,
    uniforms: L.lstmCell,
  },
  /** The same four units per invocation, the buffers bound as vec4s (4x fewer loads and stores), where H and the offsets allow it (kernel-choice.ts cellKernelKey). */
  lstmCellForwardVec4: {
    sources: [tanhSource, sigmoidSource, lstmCellSource, lstmCellVec4Source],
    entryPoint: 'lstmCellForwardVec4',
    bindings: LSTM_BINDINGS,
    uniforms: L.lstmCell,
  },
  lstmCellBackwardVec4: {
    sources: [tanhSource, sigmoidSource, lstmCellSource, lstmCellVec4Source],
    entryPoint: 'lstmCellBackwardVec4',
    bindings: LSTM_BACKWARD_BINDINGS,
    uniforms: L.lstmCell,
  },
  /** The GRU cell one hidden unit per invocation (any H). */
  gruCellForward: {
    sources: [tanhSource, sigmoidSource, gruCellSource, gruCellWordsSource],
    entryPoint: 'gruCellForward',
    bindings: GRU_FORWARD_BINDINGS,
    uniforms: L.gruCell,
  },
  gruCellBackward: {
    sources: [tanhSource, sigmoidSource, gruCellSource, gruCellWordsSource],
    entryPoint: 'gruCellBackward',
    bindings: GRU_BACKWARD_BINDINGS,
    uniforms: L.gruCell,
  },
  /** The same four units per invocation, the buffers bound as vec4s, as for the LSTM. */
  gruCellForwardVec4: {
    sources: [tanhSource, sigmoidSource, gruCellSource, gruCellVec4Source],
    entryPoint: 'gruCellForwardVec4',
    bindings: GRU_FORWARD_BINDINGS,
    uniforms: L.gruCell,
  },
  gruCellBackwardVec4: {
    sources: [tanhSource, sigmoidSource, gruCellSource, gruCellVec4Source],
    entryPoint: 'gruCellBackwardVec4',
    bindings: GRU_BACKWARD_BINDINGS,
    uniforms: L.gruCell,
  },
  /** Pass 1: the partial sums of squares into the scratch. */
  sumSquaresPartial: {
    sources: [gradientNormSource],
    entryPoint: 'sumSquaresPartial',
    bindings: { gradients: read(0, 'source'), scratch: readWrite(1, 'destination'), u: uniform(4) },
    uniforms: L.gradientNorm,
  },
  /** Pass 2: the norm into its history, the clip coefficient into the scratch, the guard from the norm and the loss. */
  finishNorm: {
    sources: [gradientNormSource],
    entryPoint: 'finishNorm',
    bindings: { lossHistory: read(0, 'source'), scratch: readWrite(1, 'destination'), normHistory: readWrite(2, 'history'), guard: readWrite(3), u: uniform(4) },
    uniforms: L.gradientNorm,
  },
  /** Pass 3: the gradients times the clip coefficient in the scratch. */
  scaleGradients: {
    sources: [gradientNormSource],
    entryPoint: 'scaleGradients',
    bindings: { scratch: read(0, 'source'), gradients: readWrite(1, 'destination'), u: uniform(4) },
    uniforms: L.gradientNorm,
  },
  sampleToken: {
    sources: [sampleTokenSource],
    entryPoint: 'sampleToken',
    bindings: { logits: read(0), nextInput: readWrite(1), generated: readWrite(2), u: uniform(3) },
    uniforms: L.sampleToken,
  },
  dropoutForward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutForward',
    bindings: { input: read(0), output: readWrite(1), u: uniform(2) },
    uniforms: L.dropout,
  },
  /** In place: gradients ⊙= mask. */
  dropoutBackward: {
    sources: [dropoutSource],
    entryPoint: 'dropoutBackward',
    bindings: { gradients: readWrite(1, 'output'), u: uniform(2) },
    uniforms: L.dropout,
  },
  tanhForward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhForward',
    bindings: { input: read(0), output: readWrite(2), u: uniform(3) },
    uniforms: L.tanhElementwise,
  },
  tanhBackward: {
    sources: [tanhSource, tanhElementwiseSource],
    entryPoint: 'tanhBackward',
    bindings: { dOutput: read(0, 'input'), output: read(1, 'saved'), dInput: readWrite(2, 'output'), u: uniform(3) },
    uniforms: L.tanhElementwise,
  },
  embeddingForward: {
    sources: [embeddingUniformsSource, embeddingSource],
    entryPoint: 'embeddingForward',
    bindings: { tokens: read(0), parameters: read(1, 'source'), projections: readWrite(2, 'destination'), u: uniform(3) },
    uniforms: L.embedding,
  },
  /** embeddingForward, four hidden units per invocation (projections and biases as vec4s). */
  embeddingForwardVec4: {
    sources: [embeddingUniformsSource, embeddingVec4Source],
    entryPoint: 'embeddingForwardVec4',
    bindings: { tokens: read(0), parameters: read(1), projections: readWrite(2), u: uniform(3) },
    uniforms: L.embedding,
  },
  /** One invocation per hidden unit over all rows (GPUs; CPU adapters take the grouped walk below). */
  embeddingBackward: {
    sources: [embeddingUniformsSource, embeddingSource],
    entryPoint: 'embeddingBackward',
    bindings: { tokens: read(0), dPreactivations: read(1, 'source'), gradients: readWrite(2, 'destination'), u: uniform(3) },
    uniforms: L.embedding,
  },
  /** The rows of a token batch grouped by token (a stable counting sort), for embeddingBackwardGrouped. */
  groupTokenRows: {
    sources: [embeddingUniformsSource, embeddingBackwardSource],
    entryPoint: 'groupTokenRows',
    bindings: { tokens: read(0), grouped: readWrite(1), u: uniform(4) },
    uniforms: L.embedding,
  },
  embeddingBackwardGrouped: {
    sources: [embeddingUniformsSource, embeddingBackwardSource],
    entryPoint: 'embeddingBackwardGrouped',
    bindings: GROUPED_EMBEDDING_BACKWARD_BINDINGS,
    uniforms: L.embedding,
  },
  /** embeddingBackwardGrouped, four hidden units per invocation (dA as vec4s). */
  embeddingBackwardGroupedVec4: {
    sources: [embeddingUniformsSource, embeddingBackwardVec4Source],
    entryPoint: 'embeddingBackwardGroupedVec4',
    bindings: GROUPED_EMBEDDING_BACKWARD_BINDINGS,
    uniforms: L.embedding,
  },
  /** embeddingBackwardGroupedVec4 with QUADS_PER_INVOCATION runs of four units per invocation. */
  embeddingBackwardGroupedVec4Runs: {
    sources: [embeddingUniformsSource, embeddingBackwardVec4Source],
    entryPoint: 'embeddingBackwardGroupedVec4Runs',
    bindings: GROUPED_EMBEDDING_BACKWARD_BINDINGS,
    uniforms: L.embedding,
  },
  embeddingRowsForward: {
    sources: [embeddingUniformsSource, embeddingSource],
    entryPoint: 'embeddingRowsForward',
    bindings: { tokens: read(0), parameters: read(1, 'source'), embedded: readWrite(2, 'destination'), u: uniform(3) },
    uniforms: L.embedding,
  },
  embeddingRowsBackward: {
    sources: [embeddingUniformsSource, embeddingSource],
    entryPoint: 'embeddingRowsBackward',
    bindings: { tokens: read(0), dEmbedded: read(1, 'source'), gradients: readWrite(2, 'destination'), u: uniform(3) },
    uniforms: L.embedding,
  },
  softmaxCrossEntropy: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropy',
    bindings: SOFTMAX_BINDINGS,
    uniforms: L.softmaxCrossEntropy,
  },
  softmaxCrossEntropyPerRow: {
    sources: [softmaxCrossEntropySource],
    entryPoint: 'softmaxCrossEntropyPerRow',
    bindings: SOFTMAX_BINDINGS,
    uniforms: L.softmaxCrossEntropy,
  },
  meanSquaredError: {
    sources: [meanSquaredErrorSource],
    entryPoint: 'meanSquaredError',
    bindings: { targetValues: read(0), rowFlags: read(1), outputs: readWrite(2), rowLosses: readWrite(3), u: uniform(4) },
    uniforms: L.meanSquaredError,
  },
  columnSums: {
    sources: [reduceSource],
    entryPoint: 'columnSums',
    bindings: REDUCE_BINDINGS,
    uniforms: L.reduce,
  },
  meanLoss: {
    sources: [reduceSource],
    entryPoint: 'meanLoss',
    bindings: REDUCE_BINDINGS,
    uniforms: L.reduce,
  },
  sgdUpdate: {
    sources: [sgdSource],
    entryPoint: 'sgdUpdate',
    bindings: { gradients: read(0), parameters: readWrite(1), momentumBuffer: unusedWhen(readWrite(2), 'momentum is 0'), u: uniform(3) },
    uniforms: L.sgd,
  },
  rmspropUpdate: {
    sources: [rmspropSource],
    entryPoint: 'rmspropUpdate',
    bindings: { gradients: read(0), parameters: readWrite(1), squareAverage: readWrite(2), momentumBuffer: unusedWhen(readWrite(3), 'momentum is 0'), u: uniform(4) },
    uniforms: L.rmsprop,
  },
  adamUpdate: {
    sources: [adamSource],
    entryPoint: 'adamUpdate',
    bindings: { gradients: read(0), parameters: readWrite(1), firstMoment: readWrite(2), secondMoment: readWrite(3), u: uniform(4) },
    uniforms: L.adam,
  },
  /** Bidirectional layers: rows reversed within each sequence's length; the two directions joined and split. */
  reverseRows: {
    sources: [bidirectionalSource, reverseRowsSource],
    entryPoint: 'reverseRows',
    bindings: { lengths: read(0), input: read(1, 'rowsIn'), output: readWrite(2, 'rowsOut'), reverse: uniform(3) },
    uniforms: L.reverseRows,
  },
  /** y = [h^fwd, h^rev] (reverseStates only read; the module's variable is read-write for the split). */
  joinDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'joinDirections',
    bindings: { lengths: read(0), forwardStates: read(1, 'source'), reverseStates: readWrite(2, 'first'), joined: readWrite(3, 'second'), direction: uniform(4) },
    uniforms: L.direction,
  },
  splitDirections: {
    sources: [bidirectionalSource, bidirectionalJoinSource],
    entryPoint: 'splitDirections',
    bindings: { lengths: read(0), dJoined: read(1, 'source'), forwardGradients: readWrite(2, 'first'), reverseGradients: readWrite(3, 'second'), direction: uniform(4) },
    uniforms: L.direction,
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** The buffers by name that a dispatch of kernel K takes (a union of kernels: those of any one of them). */
export type KernelBuffers<K extends KernelName> = K extends KernelName ? BuffersFor<(typeof KERNELS)[K]['bindings']> : never;

/** Tile of the shared matmul core (matmul_tile.wgsl): each workgroup computes TILE x TILE outputs. */
export const MATMUL_TILE = 32;
/** Tile of the large matmul core (matmul_tile_large.wgsl): TILE x TILE outputs per workgroup. */
export const MATMUL_LARGE_TILE = 64;
