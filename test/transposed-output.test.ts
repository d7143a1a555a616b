/**
 * Products computed as their transpose (matmul-choice.ts transposedOutput): C = opA(A)·opB(B) run as
 * Cᵀ = opB(B)ᵀ·opA(A)ᵀ with the operands' roles swapped and C stored transposed (TRANSPOSE_C). The
 * same sums in the same order, so the results are bit for bit those of the direct product, on every
 * transpose, tile-breaking shapes, offsets, two biases (which then run along the core's rows),
 * accumulation and K chunks; the words around C stay untouched. The choice takes it on llvmpipe for
 * narrow A·Bᵀ and Aᵀ·B products only (the head's forward at V′ = 68), and a product it cannot serve
 * is refused by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { type MatmulArgs, matmulKey, matmulSchedule, type RegisterTile, transposedOutput } from '../src/kernels/kernel-set.ts';
import { matmulReference } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

// Multiples of 4 that break the register tiles both ways (8–16 rows by 64–128 columns), and one K long enough for chunks.
const SHAPES: [number, number, number][] = [
  [4, 4, 4],
  [12, 36, 44],
  [132, 68, 36],
  [20, 132, 8],
  [260, 20, 600],
];
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/**
 * The tiles and loads forced on an adapter: each pipeline costs seconds of compilation on a fresh machine
 * (SwiftShader when built, llvmpipe at its first dispatch), so one tile on SwiftShader, from buffers, and
 * on llvmpipe both tiles it chooses, one from textures, the other from buffers.
 */
function coresFor(adapter: string): { tile: RegisterTile; textures: boolean }[] {
  if (adapter !== 'llvmpipe') return [{ tile: 'register8x8', textures: false }];
  return [
    { tile: 'register8x16', textures: true },
    { tile: 'register8x8', textures: false },
  ];
}

describe('transposed output: the choice', () => {
  it('takes it on llvmpipe for narrow A·Bᵀ and Aᵀ·B vec4 products, where the tiles leave ≤ 3/4 of the idle rows and columns', () => {
    // The head's forward h·W_yᵀ at V′ = 68: 72 of its 128-column tile's rows used, not 68 of 128 columns.
    expect(transposedOutput(4096, 68, false, true, true, true)).toBe(true);
    expect(matmulSchedule(4096, 68, 512, false, true, true, true)).toMatchObject({ transposeC: true, variant: 'register12x16', workgroups: 6 * 32 });
    // A small hidden size's weight gradient dAᵀ·h, n = H = 32.
    expect(transposedOutput(128, 32, true, false, true, true)).toBe(true);
    // Wide products keep their direct form: the recurrent forward, the head's weight and state gradients.
    expect(transposedOutput(64, 2048, false, true, true, true)).toBe(false);
    expect(transposedOutput(68, 512, true, false, true, true)).toBe(false);
    expect(transposedOutput(4096, 512, false, false, true, true)).toBe(false);
    // Not for A·B (its transpose is Aᵀ·Bᵀ, a pipeline a model does not compile), word loads, sizes not multiples of 4, or SwiftShader.
    expect(transposedOutput(4096, 68, false, false, true, true)).toBe(false);
    expect(transposedOutput(4096, 68, false, true, false, true)).toBe(false);
    expect(transposedOutput(4096, 66, false, true, true, true)).toBe(false);
    expect(transposedOutput(4096, 68, false, true, true, false)).toBe(false);
    expect(matmulSchedule(4096, 68, 512, false, true, true, false).transposeC).toBe(false);
  });
});

describe.each(TEST_ADAPTERS)('transposed output on %s', (adapter) => {
  beforeAll(async () => {
    const kernels = await kernelsFor(adapter);
    const keys = coresFor(adapter).flatMap(({ tile, textures }) => TRANSPOSES.flatMap(([a, b]) => [matmulKey(tile, a, b, true, textures), matmulKey(tile, a, b, true, textures, true)]));
    await kernels.ensure(keys);
  }, 900_000);

  it('gives bit for bit the direct product: every transpose and tile, offsets, two biases, accumulation, K chunks', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    for (const { tile, textures } of coresFor(adapter)) {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        for (const [m, n, k] of SHAPES) {
          const seed = m * 7919 + n * 31 + k + (transposeA ? 1 : 0) + (transposeB ? 2 : 0);
          const a = createStorageBufferWith(device, 'A at 4', randomFloats(m * k + 4, seed));
          const b = createStorageBufferWith(device, 'B at 8', randomFloats(k * n + 8, seed + 1));
          const bias = createStorageBufferWith(device, 'biases', randomFloats(2 * n + 8, seed + 2));
          const initial = randomFloats(m * n + 8, seed + 3);
          const outputs = [true, false].map((transposeC) => createStorageBufferWith(device, `C ${transposeC ? 'transposed' : 'direct'}`, initial));
          const plan = new DispatchPlan(device, `transposed output ${tile} ${m}x${n}x${k}`);
          const kChunk = transposeA && !transposeB ? 256 : undefined;
          [true, false].forEach((transposeC, i) => {
            const args: MatmulArgs = {
              a: { buffer: a, offset: 4 }, b: { buffer: b, offset: 8 }, c: { buffer: outputs[i], offset: 4 }, m, n, k, transposeA, transposeB,
              bias: { buffer: bias, offsets: [4, 8 + n] }, accumulate: true, variant: tile, kChunk, textures, transposeC,
            };
            kernels.matmul(plan, args, `${transposeC ? 'transposed' : 'direct'} ${m}x${n}x${k}`);
          });
          plan.submit();
          const [transposed, direct] = await Promise.all(outputs.map((buffer) => readFloats(device, buffer, 0, m * n + 8)));
          const name = `${tile}${textures ? ' textures' : ''} ${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'} ${m}x${n}x${k}`;
          expect(Array.from(transposed), name).toEqual(Array.from(direct));
          // The words before and after C are untouched, and C changed (the comparison saw a product).
          expect(Array.from(transposed.subarray(0, 4)), `${name}: the words before C`).toEqual(Array.from(initial.subarray(0, 4)));
          expect(Array.from(transposed.subarray(4 + m * n)), `${name}: the words after C`).toEqual(Array.from(initial.subarray(4 + m * n)));
          expect(transposed.subarray(4, 4 + m * n).some((value, j) => value !== initial[4 + j]), `${name}: C changed`).toBe(true);
          plan.destroy();
          for (const buffer of [a, b, bias, ...outputs]) buffer.destroy();
        }
      }
    }
  });

  it('the head forward shape, transposed, is the reference product with its bias', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const [m, n, k] = [96, 68, 20]; // h [T·B, W] · W_yᵀ, W_y stored [V′, W]
    const h = randomFloats(m * k, 5);
    const weight = randomFloats(n * k, 6);
    const bias = randomFloats(n, 7);
    const buffers = [h, weight, bias, new Float32Array(m * n)].map((data, i) => createStorageBufferWith(device, `head ${i}`, data));
    const plan = new DispatchPlan(device, 'head forward transposed');
    const { tile, textures } = coresFor(adapter)[0];
    kernels.matmul(plan, { a: { buffer: buffers[0], offset: 0 }, b: { buffer: buffers[1], offset: 0 }, c: { buffer: buffers[3], offset: 0 }, m, n, k, transposeB: true, bias: { buffer: buffers[2], offsets: [0] }, variant: tile, textures, transposeC: true }, 'head');
    plan.submit();
    const logits = await readFloats(device, buffers[3], 0, m * n);
    expectClose('logits', logits, matmulReference(h, weight, m, n, k, { transposeB: true, bias }), { relative: 1e-5, absolute: 1e-5 });
    plan.destroy();
    for (const buffer of buffers) buffer.destroy();
  });

  it('refuses a transposed output it cannot serve, by name', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const buffer = createStorageBufferWith(device, 'operands', new Float32Array(4096));
    const plan = new DispatchPlan(device, 'refused');
    const slice = { buffer, offset: 0 };
    expect(() => kernels.matmul(plan, { a: slice, b: slice, c: slice, m: 12, n: 6, k: 8, transposeB: true, transposeC: true }, 'narrow head')).toThrow(/narrow head: a transposed output needs .* m, n multiples of 4, got 12 x 6/);
    expect(() => kernels.matmul(plan, { a: slice, b: slice, c: slice, m: 12, n: 8, k: 8, transposeC: true, variant: 'small' }, 'workgroup core')).toThrow(/workgroup core: a transposed output needs a register-tile core/);
    plan.destroy();
    buffer.destroy();
  });
});
