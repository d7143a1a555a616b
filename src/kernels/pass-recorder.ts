/**
 * Records a run of dispatches and texture copies into one command encoder: dispatches
 * go into the current compute pass (begun when the first one comes), a copy ends it
 * (copies are encoder commands, outside passes) and the next dispatch begins another.
 * A run without copies is one pass.
 */
export class PassRecorder {
  readonly encoder: GPUCommandEncoder;
  private readonly label: string;
  private current: GPUComputePassEncoder | undefined;

  constructor(encoder: GPUCommandEncoder, label: string) {
    this.encoder = encoder;
    this.label = label;
  }

  /** The open compute pass (begun if none is). */
  pass(): GPUComputePassEncoder {
    this.current ??= this.encoder.beginComputePass({ label: this.label });
    return this.current;
  }

  /** The encoder for a command outside compute passes: ends the open pass first. */
  outsidePasses(): GPUCommandEncoder {
    this.end();
    return this.encoder;
  }

  /** Ends the open pass, if any (call once the run is recorded). */
  end(): void {
    this.current?.end();
    this.current = undefined;
  }
}
