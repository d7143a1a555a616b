/**
 * Deterministic initialization as PyTorch does it for torch.nn.RNN / LSTM / GRU
 * and torch.nn.Linear(H → V): every weight and bias uniform in [−k, k] with
 * k = 1/√H (recurrent layers: 1/√hidden_size; Linear: 1/√in_features, H too);
 * a learned embedding standard normal, as torch.nn.Embedding.
 */
import type { ResolvedConfig } from './config.ts';
import type { ParameterLayout } from './parameter-layout.ts';
import { seededRandom } from './random.ts';

export function initialParameters(config: ResolvedConfig, layout: ParameterLayout): Float32Array {
  const random = seededRandom(config.seed);
  const bound = 1 / Math.sqrt(config.hiddenSize);
  const flat = new Float32Array(layout.totalLength);
  for (const view of layout.views) {
    if (view.name === 'embedding.weight') {
      // Box–Muller: two uniforms give one standard normal.
      for (let i = 0; i < view.length; i++) flat[view.offset + i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    } else {
      for (let i = 0; i < view.length; i++) flat[view.offset + i] = (random() * 2 - 1) * bound;
    }
  }
  return flat;
}
