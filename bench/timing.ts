/** Wall-clock timing of GPU work: submit, wait for the queue to drain, read the clock. */

export function now(): number {
  return performance.now() / 1000;
}

/** Seconds from submitting what `submit` records until the queue has finished it. */
export async function timeQueue(device: GPUDevice, submit: () => void): Promise<number> {
  await device.queue.onSubmittedWorkDone();
  const start = now();
  submit();
  await device.queue.onSubmittedWorkDone();
  return now() - start;
}

/**
 * Runs `run(size)` (it returns seconds) with a size grown from `size` until one
 * run takes at least `seconds`; returns that run's size and seconds. The first
 * run also warms up pipelines.
 */
export async function calibrate(run: (size: number) => Promise<number>, size: number, seconds: number, maxSize = Infinity): Promise<{ size: number; seconds: number }> {
  let elapsed = await run(size);
  while (elapsed < seconds && size < maxSize) {
    // Aim a little past the target; at most 16x per round so a noisy first run cannot overshoot far.
    const factor = Math.min(16, Math.max(2, (1.2 * seconds) / Math.max(elapsed, 1e-6)));
    size = Math.min(maxSize, Math.ceil(size * factor));
    elapsed = await run(size);
  }
  return { size, seconds: elapsed };
}

/**
 * Seconds per call of `run`: calls go in chunks (queued back to back, as in
 * training), each chunk timed from its first call until `wait` (by default: the
 * queue drained) returns; chunks continue until at least `runs` calls and
 * `minSeconds` in all. Reports the best chunk (robust to other load on a shared
 * machine), the mean over all calls, and the best chunk's CPU seconds per call of this
 * process (see cpuSecondsOf).
 */
export async function timeRuns(
  device: GPUDevice,
  runs: number,
  minSeconds: number,
  run: () => unknown,
  wait: () => Promise<unknown> = () => device.queue.onSubmittedWorkDone(),
): Promise<{ seconds: number; mean: number; runs: number; cpuSeconds: number }> {
  await wait();
  let best = Infinity;
  let bestCpu = Infinity;
  let total = 0;
  let done = 0;
  let chunk = 1;
  while (done < runs || total < minSeconds) {
    const start = now();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < chunk; i++) await run();
    await wait();
    const elapsed = now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    best = Math.min(best, elapsed / chunk);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6 / chunk);
    total += elapsed;
    done += chunk;
    // Chunks of about a quarter of the minimum time each.
    chunk = Math.max(1, Math.round(minSeconds / 4 / (elapsed / chunk)));
  }
  return { seconds: best, mean: total / done, runs: done, cpuSeconds: bestCpu };
}

/** The rates of timed training steps of `tokensPerStep` tokens (timeRuns inside countSubmits, dispatches counted by countDispatches). */
export function stepRates(timed: { result: { seconds: number; mean: number; runs: number; cpuSeconds: number }; submits: number }, dispatches: number, tokensPerStep: number) {
  const { seconds, mean, runs, cpuSeconds } = timed.result;
  return {
    stepSeconds: seconds,
    meanStepSeconds: mean,
    tokensPerSecond: tokensPerStep / seconds,
    tokensPerCpuSecond: tokensPerStep / cpuSeconds,
    timedSteps: runs,
    submitsPerStep: timed.submits / runs,
    dispatchesPerStep: dispatches / runs,
  };
}

/** Counts device.queue.submit calls while `work` runs. */
export async function countSubmits<T>(device: GPUDevice, work: () => Promise<T>): Promise<{ result: T; submits: number }> {
  const queue = device.queue;
  const original = queue.submit;
  let submits = 0;
  queue.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    submits++;
    return original.call(this, buffers);
  };
  try {
    return { result: await work(), submits };
  } finally {
    queue.submit = original;
  }
}

/**
 * CPU seconds this process spends (all its threads) while `work` runs. On a CPU adapter
 * (llvmpipe, SwiftShader) the GPU work runs on this process's threads, so work per
 * CPU-second does not depend on how busy other programs keep the machine.
 */
export async function cpuSecondsOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Counts dispatchWorkgroups calls of compute passes begun on `device` until the returned function is called. */
export function countDispatches(device: GPUDevice, counter: { count: number }): () => void {
  const createEncoder = device.createCommandEncoder;
  device.createCommandEncoder = function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
    const encoder = createEncoder.call(this, descriptor);
    const beginPass = encoder.beginComputePass;
    encoder.beginComputePass = function (this: GPUCommandEncoder, passDescriptor?: GPUComputePassDescriptor) {
      const pass = beginPass.call(this, passDescriptor);
      const dispatch = pass.dispatchWorkgroups;
      pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
        counter.count++;
        return dispatch.call(this, x, y, z);
      };
      return pass;
    };
    return encoder;
  };
  return () => {
    device.createCommandEncoder = createEncoder;
  };
}
