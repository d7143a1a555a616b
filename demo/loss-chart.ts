/** A loss-against-step line chart on a canvas, redrawn whole on every change. */

export interface LossPoint {
  step: number;
  loss: number;
}

const PADDING = { left: 48, right: 12, top: 12, bottom: 28 };

/** A "nice" tick spacing (1, 2 or 5 × 10^k) giving about `count` ticks over `range`. */
function tickSpacing(range: number, count: number): number {
  const rough = range / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / power;
  return (scaled < 1.5 ? 1 : scaled < 3.5 ? 2 : scaled < 7.5 ? 5 : 10) * power;
}

export class LossChart {
  private readonly canvas: HTMLCanvasElement;
  private points: LossPoint[] = [];
  /** The loss of a uniform guess, ln(V), drawn as a dashed reference line. */
  private uniformLoss: number | undefined;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(uniformLoss: number | undefined): void {
    this.points = [];
    this.uniformLoss = uniformLoss;
    this.draw();
  }

  add(point: LossPoint): void {
    this.points.push(point);
    this.draw();
  }

  draw(): void {
    const canvas = this.canvas;
    const scale = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const g = canvas.getContext('2d')!;
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.clearRect(0, 0, width, height);

    const style = getComputedStyle(canvas);
    const ink = style.color;
    const accent = style.getPropertyValue('--accent').trim() || '#2563eb';
    const plotWidth = width - PADDING.left - PADDING.right;
    const plotHeight = height - PADDING.top - PADDING.bottom;

    const maxStep = Math.max(10, ...this.points.map((p) => p.step));
    const losses = this.points.map((p) => p.loss).filter(Number.isFinite);
    const maxLoss = Math.max(1, this.uniformLoss ?? 0, ...losses) * 1.05;
    const x = (step: number) => PADDING.left + (step / maxStep) * plotWidth;
    const y = (loss: number) => PADDING.top + (1 - loss / maxLoss) * plotHeight;

    // Grid and tick labels.
    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.strokeStyle = 'rgba(128, 128, 128, 0.25)';
    g.fillStyle = ink;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const lossTick = tickSpacing(maxLoss, 5);
    for (let loss = 0; loss <= maxLoss; loss += lossTick) {
      g.beginPath();
      g.moveTo(PADDING.left, Math.round(y(loss)) + 0.5);
      g.lineTo(width - PADDING.right, Math.round(y(loss)) + 0.5);
      g.stroke();
      g.fillText(loss.toFixed(lossTick < 1 ? 1 : 0), PADDING.left - 6, y(loss));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const stepTick = tickSpacing(maxStep, 6);
    for (let step = 0; step <= maxStep; step += stepTick) {
      g.fillText(String(step), x(step), height - PADDING.bottom + 6);
    }
    g.save();
    g.translate(12, PADDING.top + plotHeight / 2);
    g.rotate(-Math.PI / 2);
    g.textBaseline = 'middle';
    g.fillText('nats/char', 0, 0);
    g.restore();

    if (this.uniformLoss !== undefined) {
      g.setLineDash([4, 4]);
      g.strokeStyle = ink;
      g.beginPath();
      g.moveTo(PADDING.left, y(this.uniformLoss));
      g.lineTo(width - PADDING.right, y(this.uniformLoss));
      g.stroke();
      g.setLineDash([]);
      g.textAlign = 'right';
      g.textBaseline = 'bottom';
      g.fillText(`uniform guess ln(V) = ${this.uniformLoss.toFixed(2)}`, width - PADDING.right - 4, y(this.uniformLoss) - 3);
    }

    if (this.points.length > 0) {
      g.strokeStyle = accent;
      g.fillStyle = accent;
      g.lineWidth = 2;
      g.beginPath();
      this.points.forEach((p, i) => (i === 0 ? g.moveTo(x(p.step), y(p.loss)) : g.lineTo(x(p.step), y(p.loss))));
      g.stroke();
      const last = this.points[this.points.length - 1];
      g.beginPath();
      g.arc(x(last.step), y(last.loss), 3, 0, 2 * Math.PI);
      g.fill();
    }
  }
}
