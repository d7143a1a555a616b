/** The training progress line: step, losses in nats/char, throughput and time left. */

export interface Progress {
  step: number;
  steps: number;
  /** The step count training started from (a resumed run's), for the time per step. */
  startStep?: number;
  loss: number;
  validationLoss?: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(p: Progress, width = 24): string {
  const done = Math.round((p.step / p.steps) * width);
  const bar = `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`;
  const secondsPerStep = p.elapsedSeconds / Math.max(1, p.step - (p.startStep ?? 0));
  const validation = p.validationLoss === undefined ? '' : `  val ${p.validationLoss.toFixed(4)}`;
  return (
    `${bar} step ${String(p.step).padStart(String(p.steps).length)}/${p.steps}  loss ${p.loss.toFixed(4)}${validation} nats/char  ` +
    `${Math.round(p.tokensPerSecond)} chars/s  ${duration(p.elapsedSeconds)} elapsed, ETA ${duration(secondsPerStep * (p.steps - p.step))}`
  );
}
