/**
 * Matmul cores side by side on RNN-shaped products (KernelSet.matmul's core and
 * K-chunk choices come from this):
 *
 *   npx vite build --ssr bench/matmul-cores.ts --outDir dist/scratch && node dist/scratch/matmul-cores.js llvmpipe,swiftshader [rounds] [shape indices|all] [variants]
 *
 * variants: comma-separated MatmulVariant names (default small,large), each optionally
 * with /CHUNK for Aᵀ·B in K chunks of CHUNK rows (e.g. register16x16/256), :words for the
 * register-tile core's word loads instead of vec4s where the shape allows them, and :buffers or
 * :textures for vec4 loads from the storage buffers or from operand textures whatever the adapter
 * prefers (llvmpipe reads textures; the operands are copied into them once per timed plan), or
 * :panels for textures with B packed in column panels (MatmulArgs.sharedB; packed once per timed plan).
 * Per adapter and shape: rounds of every variant in turn, each timing `repeats`
 * products recorded into one pass (repeats chosen for ~0.3 s); the best round as GFLOP
 * per CPU-second of this process (CPU adapters: robust to other load on the machine;
 * see timing.ts cpuSecondsOf), and the workgroups per dispatch.
 */
import { createStorageBuffer } from '../src/device/buffers.ts';
import { type AdapterPreference, createGpuContext } from '../src/index.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { ALL_KERNELS, KernelSet, MATMUL_VARIANTS, matmulGrid, type MatmulVariant } from '../src/kernels/kernel-set.ts';
import { type MatmulShape, matmulFlops, shapeKey } from './configs.ts';
import { cpuSecondsOf, timeQueue } from './timing.ts';

const SHAPES: (MatmulShape & { role: string })[] = [
  { role: 'square', m: 512, n: 512, k: 512 },
  // The head's products run over V′ = headRows(65) = 68 outputs.
  { role: 'head state gradient (m)', m: 4096, n: 256, k: 68 },
  { role: 'head forward (m)', m: 4096, n: 68, k: 256, transposeB: true },
  { role: 'head weight gradient (m)', m: 68, n: 256, k: 4096, transposeA: true },
  { role: 'head forward (l)', m: 4096, n: 68, k: 512, transposeB: true },
  { role: 'head weight gradient (l)', m: 68, n: 512, k: 4096, transposeA: true },
  { role: 'head state gradient (l)', m: 4096, n: 512, k: 68 },
  { role: 'rec. weight gradient lstm-s', m: 512, n: 128, k: 1024, transposeA: true },
  { role: 'rec. weight gradient 4H×H K4096', m: 512, n: 128, k: 4096, transposeA: true },
  { role: 'rec. weight gradient lstm-m', m: 1024, n: 256, k: 4096, transposeA: true },
  { role: 'rec. weight gradient lstm-l', m: 2048, n: 512, k: 4096, transposeA: true },
  { role: 'rec. forward lstm-l', m: 64, n: 2048, k: 512, transposeB: true },
  { role: 'rec. backward lstm-l', m: 64, n: 512, k: 2048 },
  { role: 'rec. forward lstm-m', m: 64, n: 1024, k: 256, transposeB: true },
  { role: 'rec. backward lstm-m', m: 64, n: 256, k: 1024 },
  { role: 'rec. forward lstm-s', m: 32, n: 512, k: 128, transposeB: true },
  { role: 'rec. backward lstm-s', m: 32, n: 128, k: 512 },
  { role: 'head state gradient lstm-s', m: 1024, n: 128, k: 68 },
  { role: 'rec. forward H128 B48', m: 48, n: 512, k: 128, transposeB: true },
  { role: 'rec. forward H128 B64', m: 64, n: 512, k: 128, transposeB: true },
  { role: 'rec. backward H128 B64', m: 64, n: 128, k: 512 },
  { role: 'rec. forward H512 B32', m: 32, n: 2048, k: 512, transposeB: true },
  { role: 'rec. backward H512 B32', m: 32, n: 512, k: 2048 },
  { role: 'rec. forward H32 B256', m: 256, n: 128, k: 32, transposeB: true },
  { role: 'rec. backward H32 B256 (n 32)', m: 256, n: 32, k: 128 },
  { role: 'head weight gradient H32 (n 32)', m: 68, n: 32, k: 4096, transposeA: true },
];

async function timeProducts(kernels: KernelSet, shape: MatmulShape, name: string, repeats: number, buffers: GPUBuffer[]): Promise<number> {
  // name: VARIANT[/CHUNK][:words|:buffers|:textures] (":words": the register-tile core's word loads, not vec4s;
  // ":buffers" / ":textures": vec4s from the storage buffers / from operand textures, whatever the adapter prefers;
  // ":panels": textures, B packed in column panels).
  const [core, loads] = name.split(':');
  const [variant, chunk] = core.split('/') as [MatmulVariant, string | undefined];
  const kChunk = chunk ? Number(chunk) : undefined;
  const plan = new DispatchPlan(kernels.device, `cores ${shapeKey(shape)} ${variant} x${repeats}`);
  try {
    for (let i = 0; i < repeats; i++) {
      kernels.matmul(plan, { a: { buffer: buffers[0], offset: 0 }, b: { buffer: buffers[1], offset: 0 }, c: { buffer: buffers[2], offset: 0 }, m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB, variant, kChunk, vec4: loads !== 'words', textures: loads === 'buffers' ? false : loads === 'textures' || loads === 'panels' ? true : undefined, sharedB: loads === 'panels' }, 'cores');
    }
    plan.build();
    await kernels.device.queue.onSubmittedWorkDone();
    return (await cpuSecondsOf(() => timeQueue(kernels.device, () => plan.submit()))) / repeats;
  } finally {
    plan.destroy();
  }
}

const adapters = (process.argv[2] ?? 'llvmpipe').split(',') as AdapterPreference[];
const rounds = Number(process.argv[3] ?? 3);
const only = process.argv[4] && process.argv[4] !== 'all' ? process.argv[4].split(',').map(Number) : undefined;
// A variant name, optionally with /CHUNK: K rows per dispatch of Aᵀ·B (e.g. large/512).
const variants = process.argv[5]?.split(',') ?? ['small', 'large'];
for (const variant of variants) if (!MATMUL_VARIANTS.includes(variant.split(/[/:]/)[0] as MatmulVariant)) throw new Error(`unknown variant ${variant}; expected some of ${MATMUL_VARIANTS.join(', ')}`);
for (const adapter of adapters) {
  const context = await createGpuContext({ adapter });
  const kernels = await KernelSet.load(context.device);
  await kernels.ensure(ALL_KERNELS.filter((key) => kernels.llvmpipe || variants.some((variant) => /:(textures|panels)$/.test(variant)) || !key.endsWith(' textures')));
  console.log(`\n${context.description}`);
  console.log(`${'shape'.padEnd(28)} ${'role'.padEnd(33)} ${variants.map((v) => v.padStart(14)).join('')}   (GFLOP per CPU-second, workgroups; best of ${rounds} rounds, variants interleaved)`);
  for (const [index, shape] of SHAPES.entries()) {
    if (only && !only.includes(index)) continue;
    const { m, n, k } = shape;
    const device = context.device;
    const buffers = [m * k, k * n, m * n].map((elements, i) => {
      const buffer = createStorageBuffer(device, `cores ${i}`, elements);
      const data = new Float32Array(elements);
      for (let j = 0; j < elements; j++) data[j] = ((Math.imul(j + i, 2654435761) >>> 0) % 1000) / 1000 - 0.5;
      device.queue.writeBuffer(buffer, 0, data);
      return buffer;
    });
    const best = new Map<string, number>();
    const repeats = new Map<string, number>();
    for (const variant of variants) {
      const seconds = await timeProducts(kernels, shape, variant, 1, buffers); // warm-up and estimate
      repeats.set(variant, Math.max(1, Math.min(256, Math.round(0.3 / seconds))));
      best.set(variant, Infinity);
    }
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        best.set(variant, Math.min(best.get(variant)!, await timeProducts(kernels, shape, variant, repeats.get(variant)!, buffers)));
      }
    }
    const cells = variants.map((variant) => {
      const [x, y] = matmulGrid(variant.split(/[/:]/)[0] as MatmulVariant, m, n);
      return `${(matmulFlops(shape) / best.get(variant)! / 1e9).toFixed(2)} (${x * y})`.padStart(14);
    });
    console.log(`${`${m}x${n}x${k}${shape.transposeA ? ' Aᵀ' : ''}${shape.transposeB ? ' Bᵀ' : ''}`.padEnd(28)} ${shape.role.padEnd(33)} ${cells.join('')}`);
    for (const buffer of buffers) buffer.destroy();
  }
  context.device.destroy();
}
