import { beforeAll, describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { ALL_KERNELS, CHOSEN_MATMUL_VARIANTS, isCpuAdapter, LLVMPIPE_ONLY_TILES, MATMUL_VARIANTS, type MatmulVariant, matmulVariant, type RegisterTile, vec4Operands } from '../src/kernels/kernel-set.ts';
import { matmulReference } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

// Shapes that break tiling (tiles 32 and 64, K-slice 16; register tiles 4–16 rows by 64–128 columns): smaller than a tile,
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
  [17, 129, 3],
  [16, 128, 300],
  // Every size a multiple of 4: the register-tile cores read these as vec4s (at the aligned offsets below).
  [4, 4, 4],
  [12, 36, 44],
  [20, 132, 8],
];

const VARIANTS: (MatmulVariant | undefined)[] = [...MATMUL_VARIANTS, undefined];

describe('matmul core choice', () => {
  it('uses the first tile of its adapter\'s preference that still gives every product 4 workgroups', () => {
    expect(matmulVariant(512, 512, 512)).toBe('register16x16');
    expect(matmulVariant(32, 512, 128)).toBe('register16x16'); // 2 x 4 workgroups
    expect(matmulVariant(32, 128, 512)).toBe('register8x16'); // 16 x 16 would give 2
    expect(matmulVariant(16, 64, 512)).toBe('register8x8');
    expect(matmulVariant(1, 1, 1)).toBe('register8x8');
    // Word loads (operands that cannot be read as vec4s) keep one tile, whatever the shape.
    expect(matmulVariant(4096, 65, 256, true, false)).toBe('register8x8');
    // …but on llvmpipe, where pipelines compile fast, word products choose among the tiles like vec4 ones.
    expect(matmulVariant(4096, 65, 256, true, false, true)).toBe('register12x16');
    expect(matmulVariant(16, 64, 65, true, false, true)).toBe('register8x8');
    // llvmpipe prefers 12 x 16 and 8 x 16 to 16 x 16 (measured: fewer accumulators to spill and reload)…
    expect(matmulVariant(512, 512, 512, true, true, true)).toBe('register12x16');
    expect(matmulVariant(2048, 512, 4096, true, true, true)).toBe('register12x16');
    // …12 x 16 only where its rows pad no more than 8-row tiles' (at most 2% more): not at batch 64 or 32.
    expect(matmulVariant(64, 2048, 512, true, true, true)).toBe('register8x16');
    expect(matmulVariant(68, 512, 4096, true, true, true)).toBe('register12x16'); // 72 rows either way
    expect(matmulVariant(32, 512, 128, true, true, true)).toBe('register8x16');
    expect(matmulVariant(16, 64, 512, true, true, true)).toBe('register8x8');
    for (const variant of [matmulVariant(4096, 65, 256), matmulVariant(65, 256, 4096)]) expect(CHOSEN_MATMUL_VARIANTS).toContain(variant);
  });

  it('binds the buffers as vec4s only where offsets, K, n and the rows read along are multiples of 4', () => {
    const buffer = {} as GPUBuffer;
    const slices = (a: number, b: number, c = 0, bias?: number[]) => ({ a: { buffer, offset: a }, b: { buffer, offset: b }, c: { buffer, offset: c }, bias: bias && { buffer, offsets: bias } });
    const product = (m: number, n: number, k: number, transposeA = false, transposeB = false) => ({ m, n, k, transposeA, transposeB });
    expect(vec4Operands({ ...slices(0, 0, 0, [8, 2056]), ...product(64, 2048, 512, false, true) }, 512)).toBe(true);
    expect(vec4Operands({ ...slices(8, 4, 12), ...product(2048, 512, 4096, true, false) }, 256)).toBe(true);
    // A stored [m, k] and B stored [n, k] are read along K: their row counts do not matter.
    expect(vec4Operands({ ...slices(0, 0), ...product(4097, 256, 64, false, true) }, 64)).toBe(true);
    // The head: an odd vocabulary as n, or as m of A stored [k, m].
    expect(vec4Operands({ ...slices(0, 0), ...product(4096, 65, 256, false, true) }, 256)).toBe(false);
    expect(vec4Operands({ ...slices(0, 0), ...product(65, 256, 4096, true, false) }, 256)).toBe(false);
    for (const misaligned of [slices(2, 0), slices(0, 6), slices(0, 0, 5), slices(0, 0, 0, [4, 7])]) {
      expect(vec4Operands({ ...misaligned, ...product(64, 64, 64) }, 64)).toBe(false);
    }
    expect(vec4Operands({ ...slices(0, 0), ...product(64, 64, 66) }, 66)).toBe(false);
    expect(vec4Operands({ ...slices(0, 0), ...product(64, 64, 1000, true) }, 250)).toBe(false);
  });

  it('keeps the workgroup-memory cores on a GPU', () => {
    expect(matmulVariant(512, 512, 512, false)).toBe('large');
    expect(matmulVariant(32, 512, 128, false)).toBe('small');
    expect(isCpuAdapter({ vendor: '', architecture: '', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' } as GPUAdapterInfo)).toBe(true);
    expect(isCpuAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' } as GPUAdapterInfo)).toBe(true);
    expect(isCpuAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' } as GPUAdapterInfo)).toBe(false);
  });
});

// float32 rounding error of a K-term sum grows about as √K (random walk).
const tolerance = (k: number) => ({ relative: 1e-4, absolute: 1e-5 * Math.max(1, Math.sqrt(k / 8)) });

interface ProductCase {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  variant?: MatmulVariant;
  kChunk?: number;
}

/**
 * C = opA(A)·opB(B) into a zeroed C, C[5:] += opA(A)·opB(B) + bias0 + bias1 (A and B read at offsets 3 and 7, biases at
 * 3 and 3 + n), and C[4:] += opA(A)·opB(B) + bias0 + bias1 with A, B and the biases at offsets 4, 8, 4 and 4 + n
 * (every buffer bound as vec4s where the sizes allow), against the reference.
 */
async function expectProductMatchesReference(adapter: (typeof TEST_ADAPTERS)[number], name: string, product: ProductCase): Promise<void> {
  const { device } = await contextFor(adapter);
  const kernels = await kernelsFor(adapter);
  const { m, n, k, transposeA, transposeB } = product;
  const seed = m * 1000003 + n * 1009 + k;
  const a = randomFloats(m * k, seed);
  const b = randomFloats(k * n, seed + 1);
  const bias = randomFloats(2 * n + 4, seed + 2);
  const initialC = randomFloats(m * n + 5, seed + 3);
  const aBuffer = createStorageBufferWith(device, 'A', a);
  const bBuffer = createStorageBufferWith(device, 'B', b);
  // The same A and B behind 3 and 7 other words, for the product that reads them at an offset.
  const aShifted = createStorageBufferWith(device, 'A at 3', Float32Array.from([...randomFloats(3, seed + 4), ...a]));
  const bShifted = createStorageBufferWith(device, 'B at 7', Float32Array.from([...randomFloats(7, seed + 5), ...b]));
  const aAligned = createStorageBufferWith(device, 'A at 4', Float32Array.from([...randomFloats(4, seed + 6), ...a]));
  const bAligned = createStorageBufferWith(device, 'B at 8', Float32Array.from([...randomFloats(8, seed + 7), ...b]));
  const initialAligned = randomFloats(m * n + 4, seed + 8);
  const alignedC = createStorageBufferWith(device, 'C at 4', initialAligned);
  const biasBuffer = createStorageBufferWith(device, 'bias', bias);
  const plain = createStorageBufferWith(device, 'C plain', new Float32Array(m * n));
  const accumulated = createStorageBufferWith(device, 'C accumulated', initialC);
  const plan = new DispatchPlan(device, `matmul ${name}`);
  const common = { a: { buffer: aBuffer, offset: 0 }, b: { buffer: bBuffer, offset: 0 }, m, n, k, transposeA, transposeB, variant: product.variant, kChunk: product.kChunk };
  kernels.matmul(plan, { ...common, c: { buffer: plain, offset: 0 } }, 'plain');
  kernels.matmul(
    plan,
    { ...common, a: { buffer: aShifted, offset: 3 }, b: { buffer: bShifted, offset: 7 }, c: { buffer: accumulated, offset: 5 }, bias: { buffer: biasBuffer, offsets: [3, 3 + n] }, accumulate: true },
    'accumulate',
  );
  kernels.matmul(
    plan,
    { ...common, a: { buffer: aAligned, offset: 4 }, b: { buffer: bAligned, offset: 8 }, c: { buffer: alignedC, offset: 4 }, bias: { buffer: biasBuffer, offsets: [4, 4 + n] }, accumulate: true },
    'aligned offsets',
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
  const wantAligned = new Float64Array(m * n);
  for (let row = 0; row < m; row++) {
    for (let col = 0; col < n; col++) wantAligned[row * n + col] = want[row * n + col] + bias[4 + col] + bias[4 + n + col] + initialAligned[4 + row * n + col];
  }
  const gotAligned = await readFloats(device, alignedC, 0, m * n + 4);
  expectClose(`${name} at offsets 4 and 8`, gotAligned.subarray(4), wantAligned, tolerance(k));
  expect(Array.from(gotAligned.subarray(0, 4))).toEqual(Array.from(initialAligned.subarray(0, 4)));
  plan.destroy();
  for (const buffer of [aBuffer, bBuffer, aShifted, bShifted, aAligned, bAligned, alignedC, biasBuffer, plain, accumulated]) buffer.destroy();
}

describe.each(TEST_ADAPTERS)('matmul on %s', (adapter) => {
  // Compiling every kernel (each core in four transposes) takes minutes on a loaded CPU adapter: not inside a test's time.
  // (The texture-operand cores only where products choose them: test/operand-textures.test.ts forces them elsewhere.)
  beforeAll(async () => {
    const kernels = await kernelsFor(adapter);
    // (…and llvmpipe's own tiles only there.)
    await kernels.ensure(ALL_KERNELS.filter((key) => kernels.llvmpipe || !(key.endsWith(' textures') || LLVMPIPE_ONLY_TILES.some((tile) => key.includes(` ${tile} `)))));
  }, 900_000);

  it('is recognized as a CPU adapter (register-tile cores, K chunks)', async () => {
    expect((await kernelsFor(adapter)).cpuAdapter).toBe(true);
  });

  for (const core of VARIANTS) {
    if (adapter !== 'llvmpipe' && LLVMPIPE_ONLY_TILES.includes(core as RegisterTile)) continue;
    it(`the ${core ?? 'chosen'} core matches the reference on every shape and transpose, with bias and accumulate`, async () => {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          for (const [m, n, k] of SHAPES) {
            const name = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'} ${core ?? 'chosen'} core ${m}x${n}x${k}`;
            await expectProductMatchesReference(adapter, name, { m, n, k, transposeA, transposeB, variant: core });
          }
        }
      }
    });
  }

  it('Aᵀ·B split into K chunks (one dispatch each, the rest adding into C) matches the reference', async () => {
    // Chunks that divide K, that leave a short last chunk, of one row, and larger than K.
    for (const [m, n, k, kChunk] of [[33, 65, 1000, 250], [65, 7, 1000, 300], [7, 33, 5, 1], [17, 9, 64, 100], [36, 68, 1000, 252]] as const) {
      for (const core of ['large', 'register16x16', undefined] as const) {
        const name = `Aᵀ·B ${core ?? 'chosen'} core ${m}x${n}x${k} in chunks of ${kChunk}`;
        await expectProductMatchesReference(adapter, name, { m, n, k, transposeA: true, transposeB: false, variant: core, kChunk });
      }
    }
  });
});
