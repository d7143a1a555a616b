/**
 * GPU time per dispatch, from timestamp queries: a profiled recording puts every
 * dispatch in a compute pass of its own whose beginning and end write timestamps
 * (query 2i and 2i+1 of dispatch i), resolves them into a buffer and copies that to
 * a mappable one. The time of dispatch i is end − beginning of its pass, in
 * nanoseconds (Dawn converts the adapter's ticks when it resolves the queries).
 *
 * Only for measuring: a pass per dispatch can cost more than the single pass of a
 * normal run where a pass boundary costs something, or where a GPU would overlap
 * independent dispatches of one pass (on SwiftShader the difference is within noise).
 * Needs a device created with the 'timestamp-query' feature
 * (createGpuContext({ timestampQueries: true })).
 */
import type { KernelName } from './registry.ts';

/** WebGPU's largest query set: 4096 queries, i.e. 2048 timed passes per set. */
export const MAX_QUERIES_PER_SET = 4096;

/** One timed dispatch. */
export interface DispatchTiming {
  /** Its position in the profiled recording (0 = the first dispatch timed). */
  index: number;
  /** The label the dispatch was added with (DispatchPlan.add). */
  label: string;
  /** The registry kernel it ran. */
  kernel: KernelName;
  /** GPU time: end − beginning of its pass, in nanoseconds. */
  nanoseconds: number;
  /** When its pass began, nanoseconds after the first timed pass began. */
  startNanoseconds: number;
}

export class DispatchProfiler {
  private readonly device: GPUDevice;
  readonly label: string;
  private readonly queriesPerSet: number;
  private readonly querySets: GPUQuerySet[] = [];
  private readonly dispatches: { label: string; kernel: KernelName }[] = [];
  private resolved: GPUBuffer | undefined;
  private readback: GPUBuffer | undefined;

  /**
   * `queriesPerSet`: queries per GPUQuerySet (even, 2…4096; default 4096); a recording with more
   * than queriesPerSet / 2 dispatches gets further query sets.
   */
  constructor(device: GPUDevice, label: string, queriesPerSet = MAX_QUERIES_PER_SET) {
    if (!device.features.has('timestamp-query')) {
      throw new Error(
        `${label}: this device has no 'timestamp-query' feature; create the context with createGpuContext({ timestampQueries: true }) on an adapter that offers it.`,
      );
    }
    if (!Number.isInteger(queriesPerSet) || queriesPerSet < 2 || queriesPerSet % 2 !== 0 || queriesPerSet > MAX_QUERIES_PER_SET) {
      throw new Error(`${label}: queriesPerSet must be an even integer from 2 to ${MAX_QUERIES_PER_SET}, got ${queriesPerSet}`);
    }
    this.device = device;
    this.label = label;
    this.queriesPerSet = queriesPerSet;
  }

  /** Dispatches timed so far. */
  get count(): number {
    return this.dispatches.length;
  }

  /** The timestamp writes of the next dispatch's pass (a new query set every queriesPerSet / 2 dispatches). */
  timestampWrites(label: string, kernel: KernelName): GPUComputePassTimestampWrites {
    if (this.resolved) throw new Error(`${this.label}: already resolved; profile another run with a new profiler.`);
    const perSet = this.queriesPerSet / 2;
    const index = this.dispatches.length;
    const set = Math.floor(index / perSet);
    if (set === this.querySets.length) {
      this.querySets.push(this.device.createQuerySet({ label: `${this.label} timestamps ${set}`, type: 'timestamp', count: this.queriesPerSet }));
    }
    this.dispatches.push({ label, kernel });
    const first = 2 * (index % perSet);
    return { querySet: this.querySets[set], beginningOfPassWriteIndex: first, endOfPassWriteIndex: first + 1 };
  }

  /** Records the resolve of every query written and the copy to a mappable buffer; after the timed passes, in the same encoder. */
  resolve(encoder: GPUCommandEncoder): void {
    if (this.resolved) throw new Error(`${this.label}: already resolved.`);
    if (this.dispatches.length === 0) throw new Error(`${this.label}: no dispatch was timed.`);
    const bytes = 2 * this.dispatches.length * 8;
    // Each set's queries land in a slot of their own, at a multiple of the 256-byte resolve alignment.
    const setBytes = Math.ceil((this.queriesPerSet * 8) / 256) * 256;
    const resolvedBytes = this.querySets.length * setBytes;
    this.resolved = this.device.createBuffer({ label: `${this.label} resolved timestamps`, size: resolvedBytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = this.device.createBuffer({ label: `${this.label} timestamps readback`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const perSet = this.queriesPerSet / 2;
    this.querySets.forEach((querySet, set) => {
      const queries = 2 * Math.min(perSet, this.dispatches.length - set * perSet);
      encoder.resolveQuerySet(querySet, 0, queries, this.resolved!, set * setBytes);
      encoder.copyBufferToBuffer(this.resolved!, set * setBytes, this.readback!, set * perSet * 16, queries * 8);
    });
  }

  /** After the resolving commands were submitted: every dispatch's GPU time, in recording order. Frees the profiler's GPU objects. */
  async read(): Promise<DispatchTiming[]> {
    const readback = this.readback;
    if (!readback) throw new Error(`${this.label}: resolve(encoder) was not recorded.`);
    try {
      await readback.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
      const origin = stamps[0];
      return this.dispatches.map(({ label, kernel }, index) => ({
        index,
        label,
        kernel,
        nanoseconds: Number(stamps[2 * index + 1] - stamps[2 * index]),
        startNanoseconds: Number(stamps[2 * index] - origin),
      }));
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    for (const querySet of this.querySets) querySet.destroy();
    this.resolved?.destroy();
    this.readback?.destroy();
  }
}
