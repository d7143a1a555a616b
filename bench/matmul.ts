/**
 * Our matmul (KernelSet.matmul through a DispatchPlan) on one shape in isolation:
 * the same product recorded `repeats` times into one pass, one submit, with the
 * repeat count calibrated so a run lasts a third of the target time; the best of
 * three such runs. Where the products read operand textures (llvmpipe), each repeat
 * packs both operands again (a new plan segment each), as one product alone would;
 * but a shared B (the recurrent products, MatmulShape.sharedB) is packed once for all
 * repeats, as a step packs W_hh once for its T products (A's copy, a few microseconds
 * per product in a step, is then reused too).
 */
import { createStorageBuffer } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import type { KernelSet } from '../src/kernels/kernel-set.ts';
import { type MatmulShape, matmulFlops } from './configs.ts';
import { calibrate, cpuSecondsOf, timeQueue } from './timing.ts';

export interface MatmulResult {
  gflops: number;
  /** GFLOP per CPU-second of this process (see cpuSecondsOf), best of the same runs. */
  gflopsPerCpuSecond: number;
  /** Seconds per product, dispatch cost included. */
  seconds: number;
  repeats: number;
}

export async function measureMatmul(kernels: KernelSet, shape: MatmulShape, targetSeconds: number): Promise<MatmulResult> {
  const device = kernels.device;
  const { m, n, k } = shape;
  const filled = (label: string, elements: number) => {
    const buffer = createStorageBuffer(device, label, elements);
    const data = new Float32Array(elements);
    for (let i = 0; i < elements; i++) data[i] = ((Math.imul(i, 2654435761) >>> 0) % 1000) / 1000 - 0.5;
    device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const a = filled('bench matmul A', m * k);
  const b = filled('bench matmul B', k * n);
  const c = createStorageBuffer(device, 'bench matmul C', m * n);
  const plans: DispatchPlan[] = [];
  let cpuSeconds = Infinity;
  const run = async (repeats: number) => {
    const plan = new DispatchPlan(device, `bench matmul ${m}x${k}x${n} x${repeats}`);
    plans.push(plan);
    for (let i = 0; i < repeats; i++) {
      if (!shape.sharedB) plan.startSegment();
      kernels.matmul(plan, { a: { buffer: a, offset: 0 }, b: { buffer: b, offset: 0 }, c: { buffer: c, offset: 0 }, m, n, k, transposeA: shape.transposeA, transposeB: shape.transposeB, sharedB: shape.sharedB }, 'bench matmul');
    }
    plan.build();
    await device.queue.onSubmittedWorkDone();
    let seconds = 0;
    const cpu = await cpuSecondsOf(async () => {
      seconds = await timeQueue(device, () => plan.submit());
    });
    cpuSeconds = Math.min(cpuSeconds, cpu / repeats);
    return seconds;
  };
  try {
    await run(1); // warm-up
    // Calibrated to a third of the target, then the best of three runs.
    const { size, seconds: first } = await calibrate(run, 1, targetSeconds / 3, 4096);
    const seconds = Math.min(first, await run(size), await run(size));
    return { gflops: (size * matmulFlops(shape)) / seconds / 1e9, gflopsPerCpuSecond: matmulFlops(shape) / cpuSeconds / 1e9, seconds: seconds / size, repeats: size };
  } finally {
    for (const plan of plans) plan.destroy();
    for (const buffer of [a, b, c]) buffer.destroy();
  }
}
