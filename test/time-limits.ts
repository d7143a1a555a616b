/**
 * Time limits of long GPU tests. Their work is budgeted in training steps; the limit
 * only guards against a hang, so it grows with the steps and is generous enough for a
 * loaded two-core machine: with a load average of ~25 (other CPU-heavy processes), a small
 * character model's step took ~0.8 s on SwiftShader and ~30 ms on llvmpipe.
 */
export function stepTimeLimit(adapter: string, steps: number): number {
  return 120_000 + steps * (adapter === 'swiftshader' ? 2_000 : 200);
}
