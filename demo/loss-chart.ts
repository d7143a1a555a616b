/**
 * Loss against step on a canvas: the training loss, the validation loss and
 * dashed reference lines (e.g. the uniform guess ln V), redrawn whole on every change.
 */
import type { ReferenceLine } from './protocol.ts';
import type { LossPoint } from './ui-state.ts';

const PADDING = { left: 48, right: 12, top: 12, bottom: 28 };
const VALIDATION_COLOUR = '#ea580c';

/** A "nice" tick spacing (1, 2 or 5 × 10^k) giving about `count` ticks over `range`. */
function tickSpacing(range: number, count: number): number {
  const rough = range / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / power;
  return (scaled < 1.5 ? 1 : scaled < 3.5 ? 2 : scaled < 7.5 ? 5 : 10) * power;
}

export interface ChartData {
  training: readonly LossPoint[];
  validation: readonly LossPoint[];
  references: readonly ReferenceLine[];
}

export class LossChart {
  private readonly canvas: HTMLCanvasElement;
  private data: ChartData = { training: [], validation: [], references: [] };

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Redraws when the data changed (the arrays are replaced, never mutated, by the view state). */
  update(data: ChartData): void {
    if (data.training === this.data.training && data.validation === this.data.validation && data.references === this.data.references) return;
    this.data = data;
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
    const { training, validation, references } = this.data;

    const maxStep = Math.max(10, ...training.map((p) => p.step), ...validation.map((p) => p.step));
    const losses = [...training, ...validation].map((p) => p.loss).filter(Number.isFinite);
    const maxLoss = Math.max(1, ...references.map((r) => r.loss), ...losses) * 1.05;
    const x = (step: number) => PADDING.left + (step / maxStep) * plotWidth;
    const y = (loss: number) => PADDING.top + (1 - Math.min(loss, maxLoss) / maxLoss) * plotHeight;

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

    g.setLineDash([4, 4]);
    g.strokeStyle = ink;
    g.textAlign = 'right';
    g.textBaseline = 'bottom';
    for (const reference of references) {
      g.beginPath();
      g.moveTo(PADDING.left, y(reference.loss));
      g.lineTo(width - PADDING.right, y(reference.loss));
      g.stroke();
      g.fillText(`${reference.label} = ${reference.loss.toFixed(2)}`, width - PADDING.right - 4, y(reference.loss) - 3);
    }
    g.setLineDash([]);

    const line = (points: readonly LossPoint[], colour: string) => {
      if (points.length === 0) return;
      g.strokeStyle = colour;
      g.fillStyle = colour;
      g.lineWidth = 2;
      g.beginPath();
      points.forEach((p, i) => (i === 0 ? g.moveTo(x(p.step), y(p.loss)) : g.lineTo(x(p.step), y(p.loss))));
      g.stroke();
      const last = points[points.length - 1];
      g.beginPath();
      g.arc(x(last.step), y(last.loss), 3, 0, 2 * Math.PI);
      g.fill();
    };
    line(training, accent);
    line(validation, VALIDATION_COLOUR);

    // Legend.
    g.font = '12px system-ui, sans-serif';
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    let legendX = PADDING.left + 8;
    for (const [label, colour] of [
      ['training', accent],
      ['validation', VALIDATION_COLOUR],
    ] as const) {
      g.fillStyle = colour;
      g.fillRect(legendX, PADDING.top + 6, 14, 3);
      g.fillStyle = ink;
      g.fillText(label, legendX + 18, PADDING.top + 8);
      legendX += 18 + g.measureText(label).width + 16;
    }
  }
}
