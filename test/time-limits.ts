/**
 * Time limits of long GPU tests. Tests are budgeted in training steps, never in seconds;
 * a time limit only guards against a hang. `npm test` gives every test 10 minutes (on a
 * loaded two-core machine, load average ~17, SwiftShader took 120 s for a checkpoint test
 * of 16 small steps with its kernels' compilation); the long runs get more, growing with
 * their steps (there a small character model's step took ~1.1 s on SwiftShader, ~30 ms on
 * llvmpipe).
 */
export function stepTimeLimit(adapter: string, steps: number): number {
  return 600_000 + steps * (adapter === 'swiftshader' ? 2_000 : 200);
}
