// CPU reference (float64): optimizers, torch.optim's formulas, updating parameters in place.
// One reference per optimizer, each a per-tensor update named as its GPU kernel
// (sgdUpdate in sgd.wgsl, adamUpdate in adam.wgsl — AdamW too —, rmspropUpdate in rmsprop.wgsl);
// ReferenceOptimizer holds their states and applies one to every parameter.
import type { ReferenceParameters } from './parameters.ts';
import { checkLength } from './validation.ts';

function checkGradients(params: ReferenceParameters, grads: ReferenceParameters): void {
  for (const [name, parameter] of Object.entries(params)) {
    const gradient = grads[name];
    if (gradient === undefined) {
      throw new Error(`grads.${name} is missing, expected ${parameter.length} values like params.${name}`);
    }
    checkLength(`grads.${name}`, gradient, parameter.length, `the length of params.${name}`);
  }
}

/** Options of every reference optimizer, in torch.optim's terms (defaults as torch's). */
export interface ReferenceOptimizerOptions {
  type: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  learningRate: number;
  momentum?: number; // SGD, RMSprop: 0
  nesterov?: boolean; // SGD: false
  weightDecay?: number; // 0; AdamW: 0.01
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  epsilon?: number; // 1e-8
  alpha?: number; // RMSprop: 0.99
}

/**
 * torch.optim.SGD (dampening 0), Adam, AdamW and RMSprop (not centered), per
 * parameter element, with t counting steps from 1 and every state starting at 0:
 *   SGD:     g ← g + λp;  b ← μb + g;  g ← g + μb (Nesterov) or b (μ > 0);  p ← p − lr·g
 *   Adam:    g ← g + λp;  m ← β1·m + (1−β1)g;  v ← β2·v + (1−β2)g²;
 *            p ← p − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
 *   AdamW:   p ← p(1 − lr·λ), then Adam's update without the λp term
 *   RMSprop: g ← g + λp;  v ← αv + (1−α)g²;  s = g/(√v + ε);  b ← μb + s (μ > 0);  p ← p − lr·(b or s)
 */
export class ReferenceOptimizer {
  readonly options: Required<ReferenceOptimizerOptions>;
  private steps = 0;
  private readonly states = new Map<string, { first: Float64Array; second: Float64Array }>();

  constructor(options: ReferenceOptimizerOptions) {
    this.options = {
      momentum: 0,
      nesterov: false,
      weightDecay: options.type === 'adamw' ? 0.01 : 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      alpha: 0.99,
      ...options,
    };
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Everything the optimizer carries between steps, copied (a checkpoint of it). */
  saveState(): { steps: number; states: Record<string, { first: Float64Array; second: Float64Array }> } {
    const states: Record<string, { first: Float64Array; second: Float64Array }> = {};
    for (const [name, state] of this.states) states[name] = { first: state.first.slice(), second: state.second.slice() };
    return { steps: this.steps, states };
  }

  /** Continues from a state saved by saveState. */
  restoreState(saved: { steps: number; states: Record<string, { first: Float64Array; second: Float64Array }> }): void {
    this.steps = saved.steps;
    this.states.clear();
    for (const [name, state] of Object.entries(saved.states)) this.states.set(name, { first: state.first.slice(), second: state.second.slice() });
  }

  /** One step with learning rate `learningRate` (default: the options' rate). */
  step(params: ReferenceParameters, grads: ReferenceParameters, learningRate = this.options.learningRate): void {
    checkGradients(params, grads);
    this.steps += 1;
    const t = this.steps;
    const { type, momentum, nesterov, weightDecay, beta1, beta2, epsilon, alpha } = this.options;
    const lr = learningRate;
    for (const [name, p] of Object.entries(params)) {
      const gradient = grads[name];
      let state = this.states.get(name);
      if (!state) {
        state = { first: new Float64Array(p.length), second: new Float64Array(p.length) };
        this.states.set(name, state);
      }
      const { first, second } = state;
      if (type === 'sgd') sgdUpdate(p, gradient, first, { learningRate: lr, momentum, nesterov, weightDecay });
      else if (type === 'adam' || type === 'adamw') adamUpdate(p, gradient, first, second, { learningRate: lr, beta1, beta2, epsilon, weightDecay, decoupled: type === 'adamw', step: t });
      else rmspropUpdate(p, gradient, first, second, { learningRate: lr, momentum, alpha, epsilon, weightDecay });
    }
  }
}

/** SGD on one tensor: g ← g + λp;  b ← μb + g;  g ← g + μb (Nesterov) or b (μ > 0);  p ← p − lr·g. `momentumBuffer` is b. */
export function sgdUpdate(
  p: Float64Array,
  gradient: ArrayLike<number>,
  momentumBuffer: Float64Array,
  o: { learningRate: number; momentum: number; nesterov: boolean; weightDecay: number },
): void {
  for (let i = 0; i < p.length; i++) {
    let g = gradient[i] + o.weightDecay * p[i];
    if (o.momentum !== 0) {
      momentumBuffer[i] = o.momentum * momentumBuffer[i] + g;
      g = o.nesterov ? g + o.momentum * momentumBuffer[i] : momentumBuffer[i];
    }
    p[i] -= o.learningRate * g;
  }
}

/**
 * Adam (or AdamW, `decoupled`) on one tensor at step t (from 1):
 *   Adam: g ← g + λp;  AdamW: p ← p(1 − lr·λ)
 *   m ← β1·m + (1−β1)g;  v ← β2·v + (1−β2)g²;  p ← p − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
 */
export function adamUpdate(
  p: Float64Array,
  gradient: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  o: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; decoupled: boolean; step: number },
): void {
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay, step: t } = o;
  for (let i = 0; i < p.length; i++) {
    let g = gradient[i];
    if (o.decoupled) p[i] *= 1 - lr * weightDecay;
    else g += weightDecay * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    p[i] -= (lr * (m[i] / (1 - beta1 ** t))) / (Math.sqrt(v[i] / (1 - beta2 ** t)) + epsilon);
  }
}

/** RMSprop (not centered) on one tensor: g ← g + λp;  v ← αv + (1−α)g²;  s = g/(√v + ε);  b ← μb + s (μ > 0);  p ← p − lr·(b or s). */
export function rmspropUpdate(
  p: Float64Array,
  gradient: ArrayLike<number>,
  momentumBuffer: Float64Array,
  v: Float64Array,
  o: { learningRate: number; momentum: number; alpha: number; epsilon: number; weightDecay: number },
): void {
  for (let i = 0; i < p.length; i++) {
    const g = gradient[i] + o.weightDecay * p[i];
    v[i] = o.alpha * v[i] + (1 - o.alpha) * g * g;
    let update = g / (Math.sqrt(v[i]) + o.epsilon);
    if (o.momentum !== 0) {
      momentumBuffer[i] = o.momentum * momentumBuffer[i] + update;
      update = momentumBuffer[i];
    }
    p[i] -= o.learningRate * update;
  }
}
