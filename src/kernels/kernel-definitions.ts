/** Every kernel by pipeline key: its registry entry and override constants (workgroup sizes, transposes, tiles). */
import type { KernelConstants } from './pipeline-cache.ts';
import { matmulKey, MATMUL_VARIANTS, PACK_PANELS_KEY, panelsKey, REGISTER_TILES, RNN_STEP_TILE, rnnStepKey } from './matmul-choice.ts';
import { GROUPED_WALK_QUADS, groupedWalkVec4Key, groupedWalkWorkgroup } from './kernel-choice.ts';
import type { KernelName } from './registry.ts';

export const ELEMENTWISE_WORKGROUP = 64;

/** Largest power of two within the device's per-workgroup limits, at most 256 (reductions need a power of two). */
export function reductionWorkgroupSize(limits: GPUSupportedLimits): number {
  const cap = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  return 2 ** Math.floor(Math.log2(cap));
}

/** Every kernel by key: its registry entry and override constants. */
export function kernelDefinitions(reductionSize: number): Map<string, [KernelName, KernelConstants]> {
  const elementwise = { WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP };
  const reduction = { WORKGROUP_SIZE: reductionSize };
  const definitions = new Map<string, [KernelName, KernelConstants]>();
  for (const variant of MATMUL_VARIANTS) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const transposes = { TRANSPOSE_A: transposeA, TRANSPOSE_B: transposeB };
        if (variant === 'small' || variant === 'large') {
          definitions.set(matmulKey(variant, transposeA, transposeB), [variant === 'large' ? 'matmulLarge' : 'matmul', { ...transposes, A_K_CONTIGUOUS: !transposeA, B_N_CONTIGUOUS: !transposeB }]);
          continue;
        }
        const tile = { ...transposes, ROW_BLOCKS: REGISTER_TILES[variant][0], COLUMN_BLOCKS: REGISTER_TILES[variant][1] };
        definitions.set(matmulKey(variant, transposeA, transposeB), ['matmulRegister', tile]);
        definitions.set(matmulKey(variant, transposeA, transposeB, true), ['matmulRegisterVec4', { ...tile, K_STEP: 4 }]);
        definitions.set(matmulKey(variant, transposeA, transposeB, true, true), ['matmulRegisterTexture', { ...tile, K_STEP: 4 }]);
        definitions.set(matmulKey(variant, transposeA, transposeB, true, false, true), ['matmulRegisterVec4', { ...tile, K_STEP: 4, TRANSPOSE_C: true }]);
        definitions.set(matmulKey(variant, transposeA, transposeB, true, true, true), ['matmulRegisterTexture', { ...tile, K_STEP: 4, TRANSPOSE_C: true }]);
        // B packed in column panels, whichever way it is stored (MatmulArgs.sharedB).
        if (!transposeA && !transposeB) definitions.set(panelsKey(variant), ['matmulRegisterTexture', { ...tile, K_STEP: 4, PACKED_B: true }]);
      }
    }
  }
  for (const relu of [false, true]) {
    for (const backward of [false, true]) {
      const [rowBlocks, columnBlocks] = REGISTER_TILES[RNN_STEP_TILE];
      const constants = { RELU: relu, TRANSPOSE_B: !backward, ROW_BLOCKS: rowBlocks, COLUMN_BLOCKS: columnBlocks };
      definitions.set(rnnStepKey(backward, relu), [backward ? 'rnnStepBackward' : 'rnnStepForward', constants]);
      definitions.set(rnnStepKey(backward, relu, true), [backward ? 'rnnStepBackwardVec4' : 'rnnStepForwardVec4', { ...constants, K_STEP: 4 }]);
    }
  }
  const reductions = new Set(['sumSquaresPartial', 'finishNorm', 'softmaxCrossEntropy', 'meanLoss']);
  for (const name of [
    'lstmCellForward', 'lstmCellBackward', 'gruCellForward', 'gruCellBackward',
    'lstmCellForwardVec4', 'lstmCellBackwardVec4', 'gruCellForwardVec4', 'gruCellBackwardVec4', 'sumSquaresPartial', 'finishNorm', 'scaleGradients',
    'dropoutForward', 'dropoutBackward', 'tanhForward', 'tanhBackward', 'embeddingForward', 'embeddingForwardVec4', 'embeddingBackward', 'groupTokenRows', 'embeddingBackwardGrouped', 'embeddingRowsForward',
    'embeddingRowsBackward', 'softmaxCrossEntropy', 'softmaxCrossEntropyPerRow', 'meanSquaredError', 'columnSums', 'meanLoss',
    'sgdUpdate', 'adamUpdate', 'rmspropUpdate', 'reverseRows', 'joinDirections', 'splitDirections',
  ] as const) {
    definitions.set(name, [name, reductions.has(name) ? reduction : elementwise]);
  }
  // The walk over grouped rows, vec4s: invocations that own 1, 2, 4 or 8 runs of four units (walkQuadsPerInvocation).
  for (const quads of GROUPED_WALK_QUADS) {
    const workgroup = { WORKGROUP_SIZE: groupedWalkWorkgroup(quads, ELEMENTWISE_WORKGROUP) };
    definitions.set(groupedWalkVec4Key(quads), quads === 1 ? ['embeddingBackwardGroupedVec4', workgroup] : ['embeddingBackwardGroupedVec4Runs', { ...workgroup, QUADS_PER_INVOCATION: quads }]);
  }
  definitions.set('sampleToken', ['sampleToken', {}]);
  definitions.set(PACK_PANELS_KEY, ['packPanels', {}]);
  return definitions;
}

/** The key of every kernel (tests and tools that use them all). */
export const ALL_KERNELS: readonly string[] = [...kernelDefinitions(64).keys()];
