// CPU reference (float64): dense matrix products and reductions. Row-major throughout.
import { checkLength, checkPositiveInteger } from './validation.ts';

export interface MatmulOptions {
  /** A is stored [K, M] instead of [M, K]. */
  transposeA?: boolean;
  /** B is stored [N, K] instead of [K, N]. */
  transposeB?: boolean;
  /** [N], added to each row of C. */
  bias?: ArrayLike<number>;
}

/**
 * C[M,N] = op(A)·op(B) + bias, i.e. C[i,j] = bias[j] + Σ_p op(A)[i,p] · op(B)[p,j],
 * where op(A) = A or Aᵀ and op(B) = B or Bᵀ as the options say.
 */
export function matmulReference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  options: MatmulOptions = {},
): Float64Array {
  const { transposeA = false, transposeB = false, bias } = options;
  checkPositiveInteger('m', m);
  checkPositiveInteger('n', n);
  checkPositiveInteger('k', k);
  checkLength('a', a, m * k, transposeA ? `[K, M] = [${k}, ${m}]` : `[M, K] = [${m}, ${k}]`);
  checkLength('b', b, k * n, transposeB ? `[N, K] = [${n}, ${k}]` : `[K, N] = [${k}, ${n}]`);
  if (bias !== undefined) checkLength('bias', bias, n, `[N] = [${n}]`);

  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias === undefined ? 0 : bias[j];
      for (let p = 0; p < k; p++) {
        const aValue = transposeA ? a[p * m + i] : a[i * k + p];
        const bValue = transposeB ? b[j * k + p] : b[p * n + j];
        sum += aValue * bValue;
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

/** out[j] = Σ_i A[i, j] for A stored [rows, cols]. */
export function columnSums(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  checkLength('a', a, rows * cols, `[rows, cols] = [${rows}, ${cols}]`);
  const sums = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) sums[j] += a[i * cols + j];
  }
  return sums;
}

/** target += source, element by element. */
export function addInPlace(target: Float64Array, source: ArrayLike<number>): void {
  checkLength('source', source, target.length, 'the length of target');
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}
