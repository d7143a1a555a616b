import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { type MatmulVariant, matmulVariant } from '../src/kernels/kernel-set.ts';
import { matmulReference } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

// Shapes that break tiling (tiles 32 and 64, K-slice 16): smaller than a tile,
// not a multiple of it, exact multiples, and K much larger or smaller than M and N.
// Every shape runs on both matmul cores, forced, and on the one chosen by shape.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 33, 65],
  [33, 7, 129],
  [65, 129, 7],
  [129, 65, 33],
  [1, 129, 1],
  [7, 7, 1000],
  [129, 33, 1],
  [64, 64, 16],
  [130, 67, 17],
  [65, 129, 1000],
];

const VARIANTS: (MatmulVariant | undefined)[] = ['small', 'large', undefined];

describe('matmul core choice', () => {
  it('uses the small core for skinny products and the large one for big ones', () => {
    expect(matmulVariant(32, 512, 128)).toBe('small');
    expect(matmulVariant(256, 32, 128)).toBe('small');
    expect(matmulVariant(33, 33, 1)).toBe('large');
    expect(matmulVariant(4096, 65, 128)).toBe('large');
    expect(matmulVariant(2048, 512, 4096)).toBe('large');
  });
});

// float32 rounding error of a K-term sum grows about as √K (random walk).
const tolerance = (k: number) => ({ relative: 1e-4, absolute: 1e-5 * Math.max(1, Math.sqrt(k / 8)) });

describe.each(TEST_ADAPTERS)('matmul on %s', (adapter) => {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const variant = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
      it(`${variant} matches the reference on every shape and core, with bias and accumulate`, async () => {
        const { device } = await contextFor(adapter);
        const kernels = await kernelsFor(adapter);
        for (const [[m, n, k], core] of SHAPES.flatMap((shape) => VARIANTS.map((core) => [shape, core] as const))) {
          const name = `${variant} ${core ?? 'chosen'} core ${m}x${n}x${k}`;
          const seed = m * 1000003 + n * 1009 + k;
          const a = randomFloats(m * k, seed);
          const b = randomFloats(k * n, seed + 1);
          const bias = randomFloats(2 * n + 3, seed + 2);
          const initialC = randomFloats(m * n + 5, seed + 3);
          const aBuffer = createStorageBufferWith(device, 'A', a);
          const bBuffer = createStorageBufferWith(device, 'B', b);
          const biasBuffer = createStorageBufferWith(device, 'bias', bias);
          const plain = createStorageBufferWith(device, 'C plain', new Float32Array(m * n));
          const accumulated = createStorageBufferWith(device, 'C accumulated', initialC);
          const plan = new DispatchPlan(device, `matmul ${name}`);
          const common = { a: { buffer: aBuffer, offset: 0 }, b: { buffer: bBuffer, offset: 0 }, m, n, k, transposeA, transposeB, variant: core };
          kernels.matmul(plan, { ...common, c: { buffer: plain, offset: 0 } }, 'plain');
          // C[5:] += A·B + bias0 + bias1, with the biases at offsets 3 and 3 + n.
          kernels.matmul(
            plan,
            { ...common, c: { buffer: accumulated, offset: 5 }, bias: { buffer: biasBuffer, offsets: [3, 3 + n] }, accumulate: true },
            'accumulate',
          );
          plan.submit();
          const want = matmulReference(a, b, m, n, k, { transposeA, transposeB });
          expectClose(name, await readFloats(device, plain, 0, m * n), want, tolerance(k));
          const wantAccumulated = new Float64Array(m * n);
          for (let row = 0; row < m; row++) {
            for (let col = 0; col < n; col++) {
              const i = row * n + col;
              wantAccumulated[i] = want[i] + bias[3 + col] + bias[3 + n + col] + initialC[5 + i];
            }
          }
          const gotAccumulated = await readFloats(device, accumulated, 0, m * n + 5);
          expectClose(`${name} accumulate`, gotAccumulated.subarray(5), wantAccumulated, tolerance(k));
          expect(Array.from(gotAccumulated.subarray(0, 5))).toEqual(Array.from(initialC.subarray(0, 5)));
          plan.destroy();
          for (const buffer of [aBuffer, bBuffer, biasBuffer, plain, accumulated]) buffer.destroy();
        }
      });
    }
  }
});
