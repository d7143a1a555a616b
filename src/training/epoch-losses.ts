/**
 * The mean loss of an epoch of any length from the GPU's loss history, a ring of
 * LOSS_HISTORY_LENGTH runs: the losses of the steps taken so far are read (one
 * readback) whenever the oldest is half a ring old, long before the ring overwrites
 * it, and summed on the CPU. An epoch of up to half a ring costs one readback at the end.
 */
export class EpochLosses {
  /** Run indices (loss-history positions) of steps not yet read. */
  private pending: number[] = [];
  private sum = 0;
  private count = 0;

  constructor(
    /** Reads the losses of `count` consecutive runs from run `first`. */
    private readonly read: (first: number, count: number) => Promise<Float32Array>,
    private readonly historyLength: number,
  ) {}

  /** A step whose loss went to run `runIndex`. */
  add(runIndex: number): void {
    this.pending.push(runIndex);
  }

  /** Reads the pending losses when the oldest is half a ring behind `runsWritten`. */
  async collectIfDue(runsWritten: number): Promise<void> {
    if (this.pending.length > 0 && runsWritten - this.pending[0] >= this.historyLength / 2) await this.collect();
  }

  private async collect(): Promise<void> {
    const first = this.pending[0];
    const losses = await this.read(first, this.pending[this.pending.length - 1] - first + 1);
    for (const runIndex of this.pending) this.sum += losses[runIndex - first];
    this.count += this.pending.length;
    this.pending = [];
  }

  /** The mean over every step added. */
  async mean(): Promise<number> {
    await this.collect();
    return this.sum / this.count;
  }
}
