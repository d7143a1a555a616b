// CPU reference (float64): optimizers, torch.optim's formulas, updating parameters in place.
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

/** torch.optim.SGD without momentum or weight decay: p ← p − lr·g. */
export function sgdStep(
  params: ReferenceParameters,
  grads: ReferenceParameters,
  options: { learningRate: number },
): void {
  checkGradients(params, grads);
  const { learningRate } = options;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    for (let i = 0; i < p.length; i++) p[i] -= learningRate * g[i];
  }
}

export interface ReferenceAdamOptions {
  learningRate: number;
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  epsilon?: number; // 1e-8
}

/**
 * torch.optim.Adam without weight decay or amsgrad. Per step, with t counting from 1:
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 * Moments start at zero, one pair per parameter name, created on the first step.
 */
export class ReferenceAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private steps = 0;
  private readonly firstMoments = new Map<string, Float64Array>();
  private readonly secondMoments = new Map<string, Float64Array>();

  constructor(options: ReferenceAdamOptions) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  get stepCount(): number {
    return this.steps;
  }

  step(params: ReferenceParameters, grads: ReferenceParameters): void {
    checkGradients(params, grads);
    this.steps += 1;
    const t = this.steps;
    const { learningRate: lr, beta1, beta2, epsilon } = this;
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      const m = this.moment(this.firstMoments, name, p.length);
      const v = this.moment(this.secondMoments, name, p.length);
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= (lr * (m[i] / biasCorrection1)) / (Math.sqrt(v[i] / biasCorrection2) + epsilon);
      }
    }
  }

  private moment(moments: Map<string, Float64Array>, name: string, length: number): Float64Array {
    let moment = moments.get(name);
    if (moment === undefined) {
      moment = new Float64Array(length);
      moments.set(name, moment);
    }
    checkLength(`params.${name}`, moment, length, `the length it had on the first step`);
    return moment;
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
      for (let i = 0; i < p.length; i++) {
        if (type === 'sgd') {
          let g = gradient[i] + weightDecay * p[i];
          if (momentum !== 0) {
            first[i] = momentum * first[i] + g;
            g = nesterov ? g + momentum * first[i] : first[i];
          }
          p[i] -= lr * g;
        } else if (type === 'adam' || type === 'adamw') {
          let g = gradient[i];
          if (type === 'adamw') p[i] *= 1 - lr * weightDecay;
          else g += weightDecay * p[i];
          first[i] = beta1 * first[i] + (1 - beta1) * g;
          second[i] = beta2 * second[i] + (1 - beta2) * g * g;
          p[i] -= (lr * (first[i] / (1 - beta1 ** t))) / (Math.sqrt(second[i] / (1 - beta2 ** t)) + epsilon);
        } else {
          const g = gradient[i] + weightDecay * p[i];
          second[i] = alpha * second[i] + (1 - alpha) * g * g;
          let update = g / (Math.sqrt(second[i]) + epsilon);
          if (momentum !== 0) {
            first[i] = momentum * first[i] + update;
            update = first[i];
          }
          p[i] -= lr * update;
        }
      }
    }
  }
}
