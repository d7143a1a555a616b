/**
 * The texture-operand matmul core (A and B copied into operand textures, operand-textures.ts):
 * its results are bit for bit those of the vec4 storage-buffer core (the same loads and sums, read
 * from a copy), on every transpose, tile-breaking shapes, offsets, biases, accumulation and K chunks;
 * a copied operand serves the plan's later products only while its buffer is unwritten and within
 * a segment; textures of out-of-date operands are taken again, so a recurrence over many steps
 * holds a few textures, not one per step. A shared B (MatmulArgs.sharedB) packed in column panels
 * (operand_panels.wgsl) gives the copied B's results bit for bit, and is packed again after a write.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { isLlvmpipe, type KernelSet, type MatmulArgs, matmulKey, operandsFitTextures, PACK_PANELS_KEY, panelsKey, type RegisterTile } from '../src/kernels/kernel-set.ts';
import { PassRecorder } from '../src/kernels/pass-recorder.ts';
import { OPERAND_TEXTURE_WIDTH, OPERAND_TEXTURE_WIDTH_LOG2 } from '../src/kernels/operand-texture-layout.ts';
import { matmulReference } from '../src/reference/index.ts';
import { expectClose } from './check-close.ts';
import type { AdapterPreference } from '../src/device/adapter-choice.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

// Multiples of 4 (vec4 operands) that break the register tiles (4–16 rows by 32–128 columns), and one K long enough for chunks.
const SHAPES: [number, number, number][] = [
  [4, 4, 4],
  [12, 36, 44],
  [20, 132, 8],
  [68, 260, 36],
  [132, 68, 600],
];
// The transposes a model's products use: A·B, A·Bᵀ, Aᵀ·B.
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
];

/** The tiles forced on an adapter (SwiftShader compiles each pipeline for seconds: one tile there). */
function tilesFor(adapter: string): RegisterTile[] {
  return adapter === 'llvmpipe' ? ['register16x16', 'register12x16', 'register8x16', 'register8x8'] : ['register8x8'];
}

describe('operand texture layout', () => {
  it('the WGSL and the TypeScript agree on the texture width, a power of two', () => {
    const wgsl = readFileSync(new URL('../shaders/operand_texture.wgsl', import.meta.url), 'utf8');
    expect(wgsl).toContain(`const OPERAND_TEXTURE_WIDTH_LOG2: u32 = ${OPERAND_TEXTURE_WIDTH_LOG2}u;`);
    expect(OPERAND_TEXTURE_WIDTH).toBe(2 ** OPERAND_TEXTURE_WIDTH_LOG2);
  });

  it('an operand fits a texture while its rows of 1,024 vec4s stay within maxTextureDimension2D', () => {
    const limits = { maxTextureDimension2D: 4096 } as GPUSupportedLimits;
    expect(operandsFitTextures(limits, 4 * 1024 * 4096)).toBe(true);
    expect(operandsFitTextures(limits, 4 * 1024 * 4096 + 4)).toBe(false);
    expect(operandsFitTextures(limits, 4, 4 * 1024 * 4096 + 4)).toBe(false);
    expect(operandsFitTextures({ maxTextureDimension2D: 512 } as GPUSupportedLimits, 4)).toBe(false); // narrower than one row
  });

  it('operand textures are chosen on llvmpipe only', () => {
    expect(isLlvmpipe({ vendor: '', architecture: '', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' } as GPUAdapterInfo)).toBe(true);
    expect(isLlvmpipe({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } as GPUAdapterInfo)).toBe(true);
    expect(isLlvmpipe({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' } as GPUAdapterInfo)).toBe(false);
    expect(isLlvmpipe({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' } as GPUAdapterInfo)).toBe(false);
  });
});

/**
 * The same product (A at word 4, B at 8, C at 4 over non-zero words, two biases, accumulating) recorded
 * twice into one plan, each time with one of `ways` added to its arguments; checks the two results are
 * the same bits, that the words before C are untouched and that C changed; returns the commands each
 * recording added.
 */
async function expectSameProductBothWays(
  adapter: AdapterPreference,
  shape: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean; variant: RegisterTile },
  ways: [string, Partial<MatmulArgs>][],
  seed: number,
): Promise<number[]> {
  const { device } = await contextFor(adapter);
  const kernels = await kernelsFor(adapter);
  const { m, n, k, transposeA, transposeB, variant } = shape;
  const a = createStorageBufferWith(device, 'A at 4', randomFloats(m * k + 4, seed));
  const b = createStorageBufferWith(device, 'B at 8', randomFloats(k * n + 8, seed + 1));
  const bias = createStorageBufferWith(device, 'biases', randomFloats(2 * n + 4, seed + 2));
  const initial = randomFloats(m * n + 4, seed + 3);
  const outputs = ways.map(([way]) => createStorageBufferWith(device, `C ${way}`, initial));
  const plan = new DispatchPlan(device, `${ways.map(([way]) => way).join(' and ')} ${variant} ${m}x${n}x${k}`);
  const commands = ways.map(([way, args], i) => {
    const before = plan.dispatchCount;
    kernels.matmul(plan, {
      a: { buffer: a, offset: 4 }, b: { buffer: b, offset: 8 }, c: { buffer: outputs[i], offset: 4 }, m, n, k, transposeA, transposeB,
      bias: { buffer: bias, offsets: [4, 4 + n] }, accumulate: true, variant, ...args,
    }, `${way} ${m}x${n}x${k}`);
    return plan.dispatchCount - before;
  });
  plan.submit();
  const [first, second] = await Promise.all(outputs.map((buffer) => readFloats(device, buffer, 0, m * n + 4)));
  const name = `${variant} ${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'} ${m}x${n}x${k}`;
  expect(Array.from(first), name).toEqual(Array.from(second));
  // …and the second way is the product (its own test covers it; here a check that the comparison saw a product).
  expect(Array.from(first.subarray(0, 4)), `${name}: the words before C untouched`).toEqual(Array.from(initial.subarray(0, 4)));
  expect(first.subarray(4).some((value, i) => value !== initial[4 + i]), `${name}: C changed`).toBe(true);
  plan.destroy();
  for (const buffer of [a, b, bias, ...outputs]) buffer.destroy();
  return commands;
}

describe.each(TEST_ADAPTERS)('operand textures on %s', (adapter) => {
  beforeAll(async () => {
    const kernels = await kernelsFor(adapter);
    const keys = tilesFor(adapter).flatMap((tile) => [...TRANSPOSES.flatMap(([a, b]) => [matmulKey(tile, a, b, true), matmulKey(tile, a, b, true, true)]), panelsKey(tile)]);
    await kernels.ensure([...keys, PACK_PANELS_KEY, matmulKey('register8x8', false, false)]);
  }, 900_000);

  it(`are what the adapter's products read by default (${adapter === 'llvmpipe' ? 'yes' : 'no'} here)`, async () => {
    expect((await kernelsFor(adapter)).llvmpipe).toBe(adapter === 'llvmpipe');
  });

  it('the texture-operand core gives bit for bit the vec4 buffer core’s results: every transpose and tile, offsets, biases, accumulation, K chunks', async () => {
    for (const variant of tilesFor(adapter)) {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        for (const [m, n, k] of SHAPES) {
          const kChunk = transposeA && !transposeB ? 256 : undefined;
          await expectSameProductBothWays(adapter, { m, n, k, transposeA, transposeB, variant }, [['textures', { kChunk, textures: true }], ['buffers', { kChunk, textures: false }]], m * 7919 + n * 31 + k);
        }
      }
    }
  });

  it('a copied operand serves later products while its buffer is unwritten; a write or a new segment copies it again', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const [m, n, k, j] = [8, 36, 12, 4];
    const x = randomFloats(m * j, 11);
    const y = randomFloats(j * k, 12);
    const w = randomFloats(k * n, 13);
    const aOld = randomFloats(m * k, 14);
    const operands = createStorageBufferWith(device, 'A', aOld);
    const factors = createStorageBufferWith(device, 'X and Y', Float32Array.from([...x, ...y]));
    const weights = createStorageBufferWith(device, 'W', w);
    const outputs = createStorageBufferWith(device, 'outputs', new Float32Array(4 * m * n));
    const plan = new DispatchPlan(device, 'packed reuse');
    const A = { buffer: operands, offset: 0 };
    const product = (slot: number) => ({ a: A, b: { buffer: weights, offset: 0 }, c: { buffer: outputs, offset: slot * m * n }, m, n, k, textures: true, variant: 'register8x8' as const });
    const added = (record: () => void) => {
      const before = plan.dispatchCount;
      record();
      return plan.dispatchCount - before;
    };
    expect(added(() => kernels.matmul(plan, product(0), 'first')), 'copies A and W, then multiplies').toBe(3);
    expect(added(() => kernels.matmul(plan, product(1), 'again')), 'reuses both copies').toBe(1);
    // A ← X·Y: a dispatch writes A's buffer (over A itself), so the next product packs A again, not W.
    kernels.matmul(plan, { a: { buffer: factors, offset: 0 }, b: { buffer: factors, offset: m * j }, c: A, m, n: k, k: j, textures: false }, 'A = X·Y');
    expect(added(() => kernels.matmul(plan, product(2), 'after the write')), 'copies A again').toBe(2);
    const segmentStart = plan.startSegment();
    expect(added(() => kernels.matmul(plan, product(3), 'new segment')), 'copies both again').toBe(3);
    plan.submit();
    const got = await readFloats(device, outputs, 0, 4 * m * n);
    const before = matmulReference(aOld, w, m, n, k);
    const aNew = matmulReference(x, y, m, k, j);
    const after = matmulReference(Float32Array.from(aNew), w, m, n, k);
    const tolerance = { relative: 1e-5, absolute: 1e-5 };
    expectClose('first', got.subarray(0, m * n), before, tolerance);
    expectClose('again', got.subarray(m * n, 2 * m * n), before, tolerance);
    expectClose('after the write', got.subarray(2 * m * n, 3 * m * n), after, tolerance);
    // The last segment run alone (as a forward-only run would) copies what it reads.
    device.queue.writeBuffer(outputs, 3 * m * n * 4, new Float32Array(m * n));
    const encoder = device.createCommandEncoder();
    const recorder = new PassRecorder(encoder, 'the last segment');
    plan.encode(recorder, segmentStart);
    recorder.end();
    device.queue.submit([encoder.finish()]);
    expectClose('new segment alone', (await readFloats(device, outputs, 0, 4 * m * n)).subarray(3 * m * n), after, tolerance);
    plan.destroy();
    for (const buffer of [operands, factors, weights, outputs]) buffer.destroy();
  });

  it('a shared B read from column panels gives bit for bit the copied B’s results: A·B and A·Bᵀ, every tile, panel-breaking shapes, offsets, biases, accumulation', async () => {
    for (const variant of tilesFor(adapter)) {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        for (const [m, n, k] of SHAPES) {
          const ways: [string, Partial<MatmulArgs>][] = [['panels', { textures: true, transposeC: false, sharedB: true }], ['copied', { textures: true, transposeC: false, sharedB: false }]];
          const commands = await expectSameProductBothWays(adapter, { m, n, k, transposeA, transposeB, variant }, ways, m * 7919 + n * 31 + k + (transposeB ? 5 : 0));
          // Panels for A·B and A·Bᵀ (a packing dispatch; A's copy serves the copied product too); Aᵀ·B keeps its
          // copies (in one dispatch the second product reuses both; in K chunks each chunk copies its own);
          // accumulating, every product (every chunk) also copies C's earlier values.
          const chunks = transposeA && k > 512 ? Math.ceil(k / 256) : 1;
          expect(commands, `${variant} ${m}x${n}x${k}: commands recorded (panels, then copied)`).toEqual(!transposeA ? [4, 3] : chunks > 1 ? [4 * chunks, 4 * chunks] : [4, 2]);
        }
      }
    }
  });

  it('a shared B’s panels serve every later product while B is unwritten; a write packs it again', async () => {
    const { device } = await contextFor(adapter);
    const kernels: KernelSet = await kernelsFor(adapter);
    const [B, H, T] = [8, 132, 6];
    const w = randomFloats(H * H, 31).map((value) => value * 0.3);
    const h0 = randomFloats(B * H, 32);
    const states = createStorageBufferWith(device, 'states', Float32Array.from([...h0, ...new Float32Array(T * B * H)]));
    const weights = createStorageBufferWith(device, 'W', w);
    const plan = new DispatchPlan(device, 'shared recurrence');
    const step = (t: number) => {
      const before = plan.dispatchCount;
      kernels.matmul(plan, { a: { buffer: states, offset: t * B * H }, b: { buffer: weights, offset: 0 }, transposeB: true, c: { buffer: states, offset: (t + 1) * B * H }, m: B, n: H, k: H, textures: true, sharedB: true }, `step ${t}`);
      return plan.dispatchCount - before;
    };
    // h_{t+1} = h_t · Wᵀ: W packed once (then h_t's copy and the product each step)…
    expect([0, 1, 2].map(step)).toEqual([3, 2, 2]);
    // …W ← 2·W (a dispatch binding it read-write: W's doubled values times 1), and the next step packs it again.
    const twice = createStorageBufferWith(device, '2·W and 1', Float32Array.from([...w.map((value) => 2 * value), 1]));
    kernels.matmul(plan, { a: { buffer: twice, offset: 0 }, b: { buffer: twice, offset: H * H }, c: { buffer: weights, offset: 0 }, m: H * H, n: 1, k: 1, textures: false }, 'W = 2·W');
    expect([3, 4, 5].map(step)).toEqual([3, 2, 2]);
    plan.submit();
    let want: Float64Array = Float64Array.from(h0);
    for (let t = 0; t < T; t++) want = matmulReference(Float32Array.from(want), t < 3 ? w : w.map((value) => 2 * value), B, H, H, { transposeB: true });
    // (Six chained float32 products of K = 132: rounding reaches ~1e-4 of values ~1; a stale or misplaced W is off by far more.)
    expectClose('h_T', (await readFloats(device, states, 0, (T + 1) * B * H)).subarray(T * B * H), want, { relative: 1e-3, absolute: 1e-3 });
    plan.destroy();
    for (const buffer of [states, weights, twice]) buffer.destroy();
  });

  it('a recurrence over 24 steps reuses W’s copy and takes the out-of-date state textures again', async () => {
    const { device } = await contextFor(adapter);
    const kernels: KernelSet = await kernelsFor(adapter);
    const [B, H, T] = [8, 12, 24];
    const w = randomFloats(H * H, 21).map((value) => value * 0.5);
    const h0 = randomFloats(B * H, 22);
    const states = createStorageBufferWith(device, 'states', Float32Array.from([...h0, ...new Float32Array(T * B * H)]));
    const weights = createStorageBufferWith(device, 'W', w);
    const plan = new DispatchPlan(device, 'recurrence');
    // h_{t+1} = h_t · Wᵀ, each step reading the slot the step before wrote.
    for (let t = 0; t < T; t++) {
      kernels.matmul(plan, { a: { buffer: states, offset: t * B * H }, b: { buffer: weights, offset: 0 }, transposeB: true, c: { buffer: states, offset: (t + 1) * B * H }, m: B, n: H, k: H, textures: true }, `step ${t}`);
    }
    // One copy of W, one of each h_t, one product per step; the state textures recycled.
    expect(plan.dispatchCount).toBe(1 + 2 * T);
    const textureBytes = OPERAND_TEXTURE_WIDTH * 16;
    expect(plan.operandTextures!.bytes).toBeLessThanOrEqual(3 * textureBytes);
    plan.submit();
    let want: Float64Array = Float64Array.from(h0);
    for (let t = 0; t < T; t++) want = matmulReference(Float32Array.from(want), w, B, H, H, { transposeB: true });
    expectClose('h_T', (await readFloats(device, states, 0, (T + 1) * B * H)).subarray(T * B * H), want, { relative: 1e-4, absolute: 1e-5 });
    plan.destroy();
    states.destroy();
    weights.destroy();
  });
});
