// Temporary timing of the cell kernels, word against vec4 (not committed).
import { it } from 'vitest';
import { createStorageBufferWith, readWords } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { ALL_KERNELS, KernelSet } from '../src/kernels/kernel-set.ts';
import { contextFor } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

it('times', async () => {
  const adapter = (process.env.TIMING_ADAPTER ?? 'llvmpipe') as 'llvmpipe';
  const { device } = await contextFor(adapter);
  const kernels = await KernelSet.load(device);
  await kernels.ensure(['lstmCellForward', 'lstmCellBackward', 'gruCellForward', 'gruCellBackward', 'lstmCellForwardVec4', 'lstmCellBackwardVec4', 'gruCellForwardVec4', 'gruCellBackwardVec4'].filter((key) => ALL_KERNELS.includes(key)));
  for (const [B, H, T] of [[32, 128, 32], [64, 256, 64]]) {
    const S = B * H;
    const lstmSaved = createStorageBufferWith(device, 's', randomFloats(T * 4 * S + (T + 1) * S, 1, 0.5));
    const lstmWork = createStorageBufferWith(device, 'w', randomFloats(T * 4 * S + (T + 1) * S, 2, 0.5));
    const states = createStorageBufferWith(device, 'h', randomFloats((T + 1) * S, 3, 0.5));
    const grads = createStorageBufferWith(device, 'g', randomFloats((T + 2) * S, 4, 0.5));
    const gruSaved = createStorageBufferWith(device, 's', randomFloats(2 * T * 3 * S, 5, 0.5));
    const gruWork = createStorageBufferWith(device, 'w', randomFloats(2 * T * 3 * S, 6, 0.5));
    const ops: Record<string, (plan: DispatchPlan, t: number, vec4: boolean) => void> = {
      lstmForward: (plan, t, vec4) => kernels.lstmCellForward(plan, { saved: lstmSaved, stepStates: states, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, vec4 }, 'x'),
      lstmBackward: (plan, t, vec4) => kernels.lstmCellBackward(plan, { saved: lstmSaved, stepStates: grads, work: lstmWork, batch: B, hiddenSize: H, gatesOffset: t * 4 * S, cellOffset: T * 4 * S + t * S, hiddenOffset: (t + 1) * S, cellGradientOffset: T * 4 * S + (t + 1) * S, vec4 }, 'x'),
      gruForward: (plan, t, vec4) => kernels.gruCellForward(plan, { saved: gruSaved, stepStates: states, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: (T + t) * 3 * S, previousOffset: t * S, vec4 }, 'x'),
      gruBackward: (plan, t, vec4) => kernels.gruCellBackward(plan, { states, saved: gruSaved, stepStates: grads, work: gruWork, batch: B, hiddenSize: H, inputPartOffset: t * 3 * S, recurrentPartOffset: (T + t) * 3 * S, previousOffset: t * S, gradientOffset: (t + 1) * S, vec4 }, 'x'),
    };
    for (const [name, op] of Object.entries(ops)) {
      const results: Record<string, number[]> = { word: [], vec4: [] };
      for (let round = 0; round < 4; round++) {
        for (const vec4 of [false, true]) {
          const plan = new DispatchPlan(device, name);
          for (let rep = 0; rep < 4; rep++) for (let t = 0; t < T; t++) op(plan, t, vec4);
          plan.submit();
          await readWords(device, states, 0, 4);
          const cpu0 = process.cpuUsage();
          const wall0 = performance.now();
          plan.submit();
          await readWords(device, states, 0, 4);
          const wall = performance.now() - wall0;
          const cpu = process.cpuUsage(cpu0);
          const dispatches = 4 * T;
          results[vec4 ? 'vec4' : 'word'].push(((cpu.user + cpu.system) / dispatches));
          void wall;
          plan.destroy();
        }
      }
      const best = (xs: number[]) => Math.min(...xs).toFixed(1);
      console.log(`B${B} H${H} ${name}: CPU µs per dispatch, best of 4: word ${best(results.word)}, vec4 ${best(results.vec4)}; all word ${results.word.map((x) => x.toFixed(0))} vec4 ${results.vec4.map((x) => x.toFixed(0))}`);
    }
  }
}, 600_000);
