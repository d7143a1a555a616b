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
