/**
 * Where each parameter lives in the one flat parameter buffer (gradients and
 * optimizer moments use the same layout). Names, shapes and order follow
 * PyTorch's state_dict: for each layer k of torch.nn.RNN / LSTM / GRU
 * `weight_ih_l{k}` [G·H, I_k], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}` [G·H],
 * `bias_hh_l{k}` [G·H] (G gates; I_0 = input size, I_k = H above), then the head
 * torch.nn.Linear's `weight` [V, H], `bias` [V]; with a learned embedding, its
 * `embedding.weight` [V, D] comes first and I_0 = D. Row-major.
 */
import type { ResolvedConfig } from './config.ts';

export interface ParameterView {
  name: string;
  shape: number[];
  /** First element in the flat buffer (a multiple of 64: 256-byte aligned). */
  offset: number;
  length: number;
}

export interface ParameterLayout {
  views: ParameterView[];
  byName: Record<string, ParameterView>;
  /** Elements in the flat buffer, alignment padding included. */
  totalLength: number;
  /** Parameters proper, padding excluded. */
  parameterCount: number;
}

const ALIGNMENT = 64;

export function parameterShapes(config: ResolvedConfig): Record<string, number[]> {
  const { inputSize: I, hiddenSize: H, outputSize: V, gates: G, layers, embeddingSize: D } = config;
  const shapes: Record<string, number[]> = {};
  if (D > 0) shapes['embedding.weight'] = [I, D];
  for (let k = 0; k < layers; k++) {
    shapes[`weight_ih_l${k}`] = [G * H, k > 0 ? H : D > 0 ? D : I];
    shapes[`weight_hh_l${k}`] = [G * H, H];
    shapes[`bias_ih_l${k}`] = [G * H];
    shapes[`bias_hh_l${k}`] = [G * H];
  }
  shapes.weight = [V, H];
  shapes.bias = [V];
  return shapes;
}

export function parameterLayout(config: ResolvedConfig): ParameterLayout {
  const views: ParameterView[] = [];
  let offset = 0;
  let parameterCount = 0;
  for (const [name, shape] of Object.entries(parameterShapes(config))) {
    const length = shape.reduce((product, size) => product * size, 1);
    views.push({ name, shape, offset, length });
    parameterCount += length;
    offset += Math.ceil(length / ALIGNMENT) * ALIGNMENT;
  }
  return { views, byName: Object.fromEntries(views.map((view) => [view.name, view])), totalLength: offset, parameterCount };
}
