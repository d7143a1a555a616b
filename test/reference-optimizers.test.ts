// The float64 reference's optimizers against numbers worked out by hand.
import { describe, expect, it } from 'vitest';
import { ReferenceOptimizer } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { withinRelative } from './reference-cases.ts';

describe('optimizers', () => {
  it('sgdUpdate: p ← p − lr·g', () => {
    const params = { w: Float64Array.of(1, -2, 0.5) };
    new ReferenceOptimizer({ type: 'sgd', learningRate: 0.5 }).step(params, { w: Float64Array.of(0.1, -0.3, 2) });
    expectClose('w', params.w, [1 - 0.05, -2 + 0.15, 0.5 - 1], withinRelative(1e-15));
  });

  it('adamUpdate: three steps with default betas and epsilon, worked out by hand', () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8; element 0 sees g = 0.5, −0.25, 1.0;
    // element 1 always sees g = 0 and must not move.
    const adam = new ReferenceOptimizer({ type: 'adam', learningRate: 0.1 });
    const params = { w: Float64Array.of(1.0, -2.0) };
    const gradientsPerStep = [0.5, -0.25, 1.0];

    // t = 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025,
    //        m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
    const p1 = 1.0 - (0.1 * 0.5) / (Math.sqrt(0.25) + 1e-8);
    // t = 2: m = 0.9·0.05 + 0.1·(−0.25) = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225,
    //        1 − β1² = 0.19, 1 − β2² = 0.001999
    const p2 = p1 - (0.1 * (0.02 / 0.19)) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
    // t = 3: m = 0.9·0.02 + 0.1·1.0 = 0.118, v = 0.999·0.00031225 + 0.001·1 = 0.00131193775,
    //        1 − β1³ = 0.271, 1 − β2³ = 0.002997001
    const p3 = p2 - (0.1 * (0.118 / 0.271)) / (Math.sqrt(0.00131193775 / 0.002997001) + 1e-8);

    const expected = [p1, p2, p3];
    for (let step = 0; step < 3; step++) {
      adam.step(params, { w: Float64Array.of(gradientsPerStep[step], 0) });
      expect(adam.stepCount).toBe(step + 1);
      expect(params.w[0]).toBeCloseTo(expected[step], 13);
      expect(params.w[1]).toBe(-2.0);
    }
  });

  it('adamUpdate honours beta1, beta2 and epsilon', () => {
    // one step: m̂ = g, v̂ = g², so p ← p − lr·g / (|g| + ε)
    const adam = new ReferenceOptimizer({ type: 'adam', learningRate: 0.2, beta1: 0.5, beta2: 0.25, epsilon: 0.5 });
    const params = { w: Float64Array.of(1.0) };
    adam.step(params, { w: Float64Array.of(2.0) });
    expect(params.w[0]).toBeCloseTo(1.0 - (0.2 * 2.0) / (2.0 + 0.5), 15);
    // after it m = 0.5·2 = 1, v = 0.75·4 = 3; then a step with g = 0:
    // m = 0.5·1 = 0.5 → m̂ = 0.5/(1 − 0.5²) = 0.5/0.75;  v = 0.25·3 = 0.75 → v̂ = 0.75/(1 − 0.25²) = 0.75/0.9375
    adam.step(params, { w: Float64Array.of(0.0) });
    const p2 = 1.0 - (0.2 * 2.0) / 2.5 - (0.2 * (0.5 / 0.75)) / (Math.sqrt(0.75 / 0.9375) + 0.5);
    expect(params.w[0]).toBeCloseTo(p2, 15);
  });

  it('rejects gradients that do not match the parameters', () => {
    const params = { w: Float64Array.of(1, 2) };
    expect(() => new ReferenceOptimizer({ type: 'sgd', learningRate: 1 }).step(params, { w: Float64Array.of(1) })).toThrow(/grads\.w has length 1, expected 2/);
    expect(() => new ReferenceOptimizer({ type: 'adam', learningRate: 1 }).step(params, {})).toThrow(/grads\.w is missing/);
  });
});
