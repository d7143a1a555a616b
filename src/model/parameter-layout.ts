/**
 * Where each parameter lives in the one flat parameter buffer (gradients and
 * optimizer moments use the same layout). Names, shapes and order follow
 * PyTorch's state_dict: for each layer k of torch.nn.RNN / LSTM / GRU
 * `weight_ih_l{k}` [G·H, I_k], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}` [G·H],
 * `bias_hh_l{k}` [G·H] (G gates; I_0 = input size, I_k = H above), then the head
 * torch.nn.Linear's `weight` [V, H], `bias` [V]; with a learned embedding, its
 * `embedding.weight` [V, D] comes first and I_0 = D. Row-major. Single-bias
 * models have one `bias_l{k}` [G·H] per layer instead of the two.
 *
 * These layout names are what readParameters / readGradients return. Files use
 * the names of the PyTorch module `WebGpuRnn` (python/webgpu_rnn.py), whose
 * state_dict loads them with strict=True:
 *   embedding  torch.nn.Embedding(V, D)      embedding.weight
 *   rnn        torch.nn.RNN / LSTM / GRU     rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, …
 *   head       torch.nn.Linear(H, V)         head.weight, head.bias
 * Both spellings are accepted wherever parameters are written.
 *
 * The head's `weight` [V, W] is followed by zero rows up to headRows(V) (a
 * multiple of 4), and `bias` [V] by zeros up to the same count (its alignment
 * padding already holds them). The head's products then run over headRows(V)
 * outputs whose extra ones are exactly 0: logits rows of headRows(V) words
 * (sequence-plan.ts) that every matmul core reads and writes four at a time.
 * Nothing writes these rows but the optimizer, whose gradient there is 0
 * (zero logits → zero dL/dlogits → zero rows of dW_y), so they stay 0; they are
 * not parameters (parameterCount, readParameters, files and exports skip them).
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
/** Rows of the head's outputs as the GPU stores them: V rounded up to a multiple of 4 (vec4 loads and stores). */
const HEAD_ROW_MULTIPLE = 4;

/** The head's output rows as stored (logits row length, W_y's rows with its zero rows): V up to a multiple of 4. */
export function headRows(outputSize: number): number {
  return Math.ceil(outputSize / HEAD_ROW_MULTIPLE) * HEAD_ROW_MULTIPLE;
}

export function parameterShapes(config: Pick<ResolvedConfig, 'inputSize' | 'hiddenSize' | 'outputSize' | 'gates' | 'layers' | 'embeddingSize'> & { singleBias?: boolean; bidirectional?: boolean }): Record<string, number[]> {
  const { inputSize: I, hiddenSize: H, outputSize: V, gates: G, layers, embeddingSize: D } = config;
  // Bidirectional: each layer's four again under `_reverse`; layers above the first and the head read 2H.
  const suffixes = config.bidirectional ? ['', '_reverse'] : [''];
  const outputWidth = suffixes.length * H;
  const shapes: Record<string, number[]> = {};
  if (D > 0) shapes['embedding.weight'] = [I, D];
  for (let k = 0; k < layers; k++) {
    for (const suffix of suffixes) {
      shapes[`weight_ih_l${k}${suffix}`] = [G * H, k > 0 ? outputWidth : D > 0 ? D : I];
      shapes[`weight_hh_l${k}${suffix}`] = [G * H, H];
      if (config.singleBias) {
        shapes[`bias_l${k}${suffix}`] = [G * H];
      } else {
        shapes[`bias_ih_l${k}${suffix}`] = [G * H];
        shapes[`bias_hh_l${k}${suffix}`] = [G * H];
      }
    }
  }
  shapes.weight = [V, outputWidth];
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
    // The head's weight keeps zero rows after it up to headRows(V) (see above); the bias's alignment covers its own.
    const reserved = name === 'weight' ? headRows(shape[0]) * shape[1] : length;
    offset += Math.ceil(reserved / ALIGNMENT) * ALIGNMENT;
  }
  return { views, byName: Object.fromEntries(views.map((view) => [view.name, view])), totalLength: offset, parameterCount };
}

/** A recurrent layer's parameter: weight_ih_l0, bias_hh_l3, bias_l0 (single bias), weight_hh_l1_reverse, … */
const RECURRENT_PARAMETER = /^(weight_ih|weight_hh|bias_ih|bias_hh|bias)_l\d+(_reverse)?$/;

/** The module name of a layout name: `weight_ih_l0` → `rnn.weight_ih_l0`, `weight` → `head.weight`. */
export function moduleParameterName(layoutName: string): string {
  if (RECURRENT_PARAMETER.test(layoutName)) return `rnn.${layoutName}`;
  if (layoutName === 'weight' || layoutName === 'bias') return `head.${layoutName}`;
  return layoutName;
}

/**
 * The layout name of a parameter given by module name (`rnn.weight_ih_l0`,
 * `head.bias`) or by layout name (returned as it is). Unknown names come back
 * unchanged, for the caller to report.
 */
export function layoutParameterName(name: string): string {
  if (name.startsWith('rnn.') && RECURRENT_PARAMETER.test(name.slice(4))) return name.slice(4);
  if (name === 'head.weight' || name === 'head.bias') return name.slice(5);
  return name;
}

/**
 * Renames values given by module or layout names to layout names. Two names for
 * one parameter (`weight` and `head.weight`) are refused through `refuse`,
 * which must throw.
 */
export function toLayoutNames<T>(values: Record<string, T>, refuse: (message: string) => never): Record<string, T> {
  const renamed: Record<string, T> = Object.create(null);
  const givenAs: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(values)) {
    const layoutName = layoutParameterName(name);
    if (layoutName in renamed) refuse(`'${givenAs[layoutName]}' and '${name}' name the same parameter; give it once`);
    renamed[layoutName] = value;
    givenAs[layoutName] = name;
  }
  return renamed;
}
