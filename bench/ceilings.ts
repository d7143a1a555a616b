/**
 * The adapter's own ceilings, measured with the small kernels of ceilings.wgsl
 * on the device the model runs on:
 *   ALU      GFLOP/s of independent vec4 FMA chains (no memory traffic)
 *   memory   G loads/s (and GB/s) of a streaming sum, f32 and vec4 loads
 *   dispatch seconds per empty dispatch, many in one compute pass
 *   submit   seconds per submit + onSubmittedWorkDone round trip
 */
import source from './ceilings.wgsl?raw';
import { calibrate, cpuSecondsOf, timeQueue } from './timing.ts';

export interface Ceilings {
  aluGflops: number;
  /** ALU work per CPU-second of this process (CPU adapters: independent of other load on the machine). */
  aluGflopsPerCpuSecond: number;
  loadsPerSecondG: number;
  loadGBps: number;
  vec4LoadsPerSecondG: number;
  vec4LoadGBps: number;
  dispatchSeconds: number;
  submitRoundTripSeconds: number;
}

const WORKGROUP = 64;
const STREAM_WORDS = 4 * 1024 * 1024; // 16 MB
const STREAM_THREADS = 256 * WORKGROUP;

export async function measureCeilings(device: GPUDevice, quick: boolean): Promise<Ceilings> {
  const target = quick ? 0.25 : 1;
  const module = device.createShaderModule({ label: 'bench ceilings', code: source });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((message) => message.type === 'error');
  if (errors.length) throw new Error(`bench/ceilings.wgsl: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ')}`);
  const pipeline = (entryPoint: string) =>
    device.createComputePipeline({ label: `bench ${entryPoint}`, layout: 'auto', compute: { module, entryPoint } });

  const sink = device.createBuffer({ label: 'bench sink', size: STREAM_THREADS * 4 * 64, usage: GPUBufferUsage.STORAGE });
  const stream = device.createBuffer({ label: 'bench stream', size: STREAM_WORDS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(stream, 0, new Float32Array(STREAM_WORDS).fill(1e-3));
  const params = (iterations: number, threads: number) => {
    const buffer = device.createBuffer({ label: 'bench params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const data = new DataView(new ArrayBuffer(16));
    data.setUint32(0, iterations, true);
    data.setUint32(4, threads, true);
    data.setFloat32(8, 0.9999, true);
    data.setFloat32(12, 1e-4, true);
    device.queue.writeBuffer(buffer, 0, data.buffer);
    return buffer;
  };
  const bindGroup = (p: GPUComputePipeline, entries: [number, GPUBuffer][]) =>
    device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })) });
  /** Seconds for `dispatches` dispatches of `groups` workgroups in one pass, one submit. */
  const runPass = (p: GPUComputePipeline, group: GPUBindGroup, groups: number, dispatches: number) =>
    timeQueue(device, () => {
      const encoder = device.createCommandEncoder({ label: 'bench ceilings' });
      const pass = encoder.beginComputePass();
      for (let i = 0; i < dispatches; i++) {
        pass.setPipeline(p);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(groups);
      }
      pass.end();
      device.queue.submit([encoder.finish()]);
    });

  try {
    // ALU: 1024 workgroups of 64, the loop length calibrated.
    const alu = pipeline('multiplyAdd');
    const aluGroups = 1024;
    const aluBindings = new Map<number, GPUBindGroup>();
    const aluRun = (iterations: number) => {
      if (!aluBindings.has(iterations)) aluBindings.set(iterations, bindGroup(alu, [[0, sink], [1, params(iterations, 0)]]));
      return runPass(alu, aluBindings.get(iterations)!, aluGroups, 1);
    };
    const aluResult = await calibrate(aluRun, 16, target);
    const aluFlops = aluGroups * WORKGROUP * aluResult.size * 64;
    const aluGflops = aluFlops / aluResult.seconds / 1e9;
    await device.queue.onSubmittedWorkDone();
    const aluCpuSeconds = Math.min(await cpuSecondsOf(() => aluRun(aluResult.size)), await cpuSecondsOf(() => aluRun(aluResult.size)));
    const aluGflopsPerCpuSecond = aluFlops / aluCpuSeconds / 1e9;

    // Memory: the whole buffer once per dispatch, the dispatch count calibrated.
    const streamLoads = async (entryPoint: string, binding: number, elements: number) => {
      const p = pipeline(entryPoint);
      const group = bindGroup(p, [[0, sink], [1, params(elements, STREAM_THREADS)], [binding, stream]]);
      const result = await calibrate((dispatches) => runPass(p, group, STREAM_THREADS / WORKGROUP, dispatches), 1, target, 4096);
      const loads = (result.size * elements) / result.seconds;
      return { loadsPerSecondG: loads / 1e9, GBps: (result.size * STREAM_WORDS * 4) / result.seconds / 1e9 };
    };
    const scalar = await streamLoads('streamLoads', 2, STREAM_WORDS);
    const vec4 = await streamLoads('streamLoadsVec4', 3, STREAM_WORDS / 4);

    // Dispatch cost: the difference between many empty dispatches and one, in one pass.
    const empty = pipeline('empty');
    const emptyGroup = bindGroup(empty, [[0, sink], [1, params(0, 0)]]);
    const manyDispatches = quick ? 1000 : 4000;
    await runPass(empty, emptyGroup, 1, manyDispatches);
    const single = Math.min(...(await repeat(5, () => runPass(empty, emptyGroup, 1, 1))));
    const many = Math.min(...(await repeat(3, () => runPass(empty, emptyGroup, 1, manyDispatches))));
    const dispatchSeconds = (many - single) / (manyDispatches - 1);

    // Submit round trip: one empty dispatch per submit, waited for each time.
    const roundTrips = quick ? 50 : 200;
    const submitRoundTripSeconds = (await repeat(roundTrips, () => runPass(empty, emptyGroup, 1, 1))).reduce((a, b) => a + b, 0) / roundTrips;

    return {
      aluGflops,
      aluGflopsPerCpuSecond,
      loadsPerSecondG: scalar.loadsPerSecondG,
      loadGBps: scalar.GBps,
      vec4LoadsPerSecondG: vec4.loadsPerSecondG,
      vec4LoadGBps: vec4.GBps,
      dispatchSeconds,
      submitRoundTripSeconds,
    };
  } finally {
    sink.destroy();
    stream.destroy();
  }
}

async function repeat(times: number, run: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < times; i++) results.push(await run());
  return results;
}
