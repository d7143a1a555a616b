/**
 * Compares a GPU result with a float64 reference: reports the max absolute and
 * relative error and the first mismatching indices, and fails on any NaN.
 * An element passes when |got − want| ≤ absolute + relative · |want|.
 */
import { expect } from 'vitest';

export interface Tolerance {
  relative: number;
  absolute: number;
}

export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: Tolerance) {
  let maxAbsolute = 0;
  let maxRelative = 0;
  const mismatches: string[] = [];
  let nonFinite = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(g)) nonFinite++;
    const error = Math.abs(g - w);
    maxAbsolute = Math.max(maxAbsolute, error);
    if (Math.abs(w) > tolerance.absolute) maxRelative = Math.max(maxRelative, error / Math.abs(w));
    if (!(error <= tolerance.absolute + tolerance.relative * Math.abs(w)) && mismatches.length < 5) {
      mismatches.push(`[${i}] got ${g}, want ${w}`);
    }
  }
  return { maxAbsolute, maxRelative, mismatches, nonFinite, lengthMatches: got.length === want.length };
}

/** Asserts `got` matches `want`; the message names `what` and the worst errors. */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: Tolerance): void {
  const result = compareArrays(got, want, tolerance);
  const summary =
    `${what}: length ${got.length} vs ${want.length}, max abs error ${result.maxAbsolute.toExponential(2)}, ` +
    `max rel error ${result.maxRelative.toExponential(2)}, ${result.nonFinite} non-finite; first mismatches: ${result.mismatches.join('; ') || 'none'}`;
  expect(result.lengthMatches && result.nonFinite === 0 && result.mismatches.length === 0, summary).toBe(true);
}
