/**
 * The tests' one checker: compares a result with a reference, reports the max
 * absolute and relative error and the first mismatching indices, and fails on any
 * NaN or infinity (in either) or a length mismatch.
 * An element passes when |got − want| ≤ absolute + relative · |want|.
 */
import { expect } from 'vitest';

export interface Tolerance {
  relative: number;
  absolute: number;
}

export interface Comparison {
  maxAbsolute: number;
  /** Over the elements with |want| > tolerance.absolute. */
  maxRelative: number;
  /** The first few failing elements, `[i] got g, want w`. */
  mismatches: string[];
  /** Elements of `got` that are not finite. */
  nonFinite: number;
  /** The first index where `want` is NaN (−1: none). */
  firstNaNInWant: number;
  lengthMatches: boolean;
}

export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: Tolerance): Comparison {
  let maxAbsolute = 0;
  let maxRelative = 0;
  const mismatches: string[] = [];
  let nonFinite = 0;
  let firstNaNInWant = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(g)) nonFinite++;
    if (Number.isNaN(w) && firstNaNInWant < 0) firstNaNInWant = i;
    const error = Math.abs(g - w);
    maxAbsolute = Math.max(maxAbsolute, error);
    if (Math.abs(w) > tolerance.absolute) maxRelative = Math.max(maxRelative, error / Math.abs(w));
    if (!(error <= tolerance.absolute + tolerance.relative * Math.abs(w)) && mismatches.length < 5) {
      mismatches.push(`[${i}] got ${g}, want ${w}`);
    }
  }
  return { maxAbsolute, maxRelative, mismatches, nonFinite, firstNaNInWant, lengthMatches: got.length === want.length };
}

/** Asserts `got` matches `want`; the message names `what` and the worst errors. Returns the comparison (for recording the worst errors). */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: Tolerance): Comparison {
  const result = compareArrays(got, want, tolerance);
  const summary =
    `${what}: length ${got.length} vs ${want.length}, max abs error ${result.maxAbsolute.toExponential(2)}, ` +
    `max rel error ${result.maxRelative.toExponential(2)}, ${result.nonFinite} non-finite` +
    (result.firstNaNInWant >= 0 ? `, NaN in the reference at [${result.firstNaNInWant}]` : '') +
    `; first mismatches: ${result.mismatches.join('; ') || 'none'}`;
  expect(result.lengthMatches && result.nonFinite === 0 && result.firstNaNInWant < 0 && result.mismatches.length === 0, summary).toBe(true);
  return result;
}
