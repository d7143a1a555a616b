/** Shape checks of a PyTorch state_dict whose architecture is read off its shapes. */
import { SafetensorsError } from '../io/safetensors.ts';

/**
 * A PyTorch state_dict read without webgpu-rnn metadata: the tensors its shapes are read
 * from must be matrices, so that a misshapen one is named rather than giving an
 * architecture with missing sizes.
 */
export function checkStateDictShapes(tensors: Record<string, { shape: number[] }>): void {
  const matrices = ['weight_ih_l0', 'weight_hh_l0', 'weight', 'embedding.weight'];
  const meanings: Record<string, string> = {
    weight_ih_l0: '[G·H, inputSize]',
    weight_hh_l0: '[G·H, H]',
    weight: '[outputSize, H] (the head)',
    'embedding.weight': '[vocabularySize, embeddingSize]',
  };
  for (const name of matrices) {
    if (!Object.hasOwn(tensors, name)) continue;
    const shape = tensors[name].shape;
    if (shape.length !== 2 || shape.some((size) => size < 1)) {
      throw new SafetensorsError(`tensor '${name}' has shape [${shape.join(', ')}], expected a matrix ${meanings[name]} with sizes ≥ 1`);
    }
  }
}
