/**
 * The two matmul cores side by side on the shapes of issue 7 (the large-tile
 * core's selection rule in KernelSet.matmul comes from this):
 *
 *   npx vite build --ssr bench/matmul-cores.ts --outDir dist/scratch && node dist/scratch/matmul-cores.js llvmpipe,swiftshader [rounds]
 *
 * Per adapter and shape: rounds of small then large, each round timing `repeats`
 * products recorded into one pass (repeats chosen for ~0.3 s); the best round.
 */
import { createStorageBuffer } from '../src/device/buffers.ts';
import { type AdapterPreference, createGpuContext } from '../src/index.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { ALL_KERNELS, KernelSet, type MatmulVariant } from '../src/kernels/kernel-set.ts';
import { type MatmulShape, matmulFlops, shapeKey } from './configs.ts';
import { timeQueue } from './timing.ts';

const SHAPES: (MatmulShape & { role: string })[] = [
  { role: 'square', m: 512, n: 512, k: 512 },
  { role: 'head state gradient (m)', m: 4096, n: 256, k: 65 },
  { role: 'head forward (m)', m: 4096, n: 65, k: 256, transposeB: true },
  { role: 'head weight gradient (m)', m: 65, n: 256, k: 4096, transposeA: true },
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
  { role: 'head state gradient lstm-s', m: 1024, n: 128, k: 65 },
  { role: 'rec. forward H128 B48', m: 48, n: 512, k: 128, transposeB: true },
  { role: 'rec. forward H128 B64', m: 64, n: 512, k: 128, transposeB: true },
  { role: 'rec. backward H128 B64', m: 64, n: 128, k: 512 },
  { role: 'rec. forward H512 B32', m: 32, n: 2048, k: 512, transposeB: true },
  { role: 'rec. backward H512 B32', m: 32, n: 512, k: 2048 },
  { role: 'rec. forward H32 B256', m: 256, n: 128, k: 32, transposeB: true },
  { role: 'rec. backward H32 B256 (n 32)', m: 256, n: 32, k: 128 },
  { role: 'head weight gradient H32 (n 32)', m: 65, n: 32, k: 4096, transposeA: true },
];

async function timeProducts(kernels: KernelSet, shape: MatmulShape, variant: MatmulVariant, repeats: number, buffers: GPUBuffer[]): Promise<number> {
  const plan = new DispatchPlan(kernels.device, `cores ${shapeKey(shape)} ${variant} x${repeats}`);
  try {
    for (let i = 0; i < repeats; i++) {
      kernels.matmul(plan, { a: { buffer: buffers[0], offset: 0 }, b: { buffer: buffers[1], offset: 0 }, c: { buffer: buffers[2], offset: 0 }, m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB, variant }, 'cores');
    }
    plan.build();
    return (await timeQueue(kernels.device, () => plan.submit())) / repeats;
  } finally {
    plan.destroy();
  }
}

const adapters = (process.argv[2] ?? 'llvmpipe').split(',') as AdapterPreference[];
const rounds = Number(process.argv[3] ?? 3);
const only = process.argv[4]?.split(',').map(Number);
for (const adapter of adapters) {
  const context = await createGpuContext({ adapter });
  const kernels = await KernelSet.load(context.device);
  await kernels.ensure(ALL_KERNELS);
  console.log(`\n${context.description}`);
  console.log('shape                              role                              small GFLOP/s  large GFLOP/s  large/small');
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
    const best: Record<MatmulVariant, number> = { small: Infinity, large: Infinity };
    const repeats: Record<MatmulVariant, number> = { small: 1, large: 1 };
    for (const variant of ['small', 'large'] as const) {
      const seconds = await timeProducts(kernels, shape, variant, 1, buffers); // warm-up and estimate
      repeats[variant] = Math.max(1, Math.min(256, Math.round(0.3 / seconds)));
    }
    for (let round = 0; round < rounds; round++) {
      for (const variant of ['small', 'large'] as const) {
        best[variant] = Math.min(best[variant], await timeProducts(kernels, shape, variant, repeats[variant], buffers));
      }
    }
    const gflops = (variant: MatmulVariant) => matmulFlops(shape) / best[variant] / 1e9;
    console.log(
      `${`${m}x${n}x${k}${shape.transposeA ? ' Aᵀ' : ''}${shape.transposeB ? ' Bᵀ' : ''}`.padEnd(34)} ${shape.role.padEnd(33)} ${gflops('small').toFixed(2).padStart(13)}  ${gflops('large').toFixed(2).padStart(13)}  ${(best.small / best.large).toFixed(2).padStart(11)}`,
    );
    for (const buffer of buffers) buffer.destroy();
  }
  context.device.destroy();
}
