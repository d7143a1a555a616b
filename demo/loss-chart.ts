/**
 * Loss against step, drawn by uPlot: the training loss (raw, faint, and
 * smoothed), the validation loss, and dashed reference lines (e.g. the uniform
 * guess ln V). Axes with labels, the legend under the plot with the values at
 * the cursor, and a message in place of the plot while there is nothing to draw.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { smoothed } from './metrics.ts';
import type { ReferenceLine } from './protocol.ts';
import type { LossPoint } from './ui-state.ts';

export interface ChartData {
  training: readonly LossPoint[];
  validation: readonly LossPoint[];
  references: readonly ReferenceLine[];
}

const COLOURS = { training: '#6366f1', smoothed: '#4338ca', validation: '#f97316', reference: '#94a3b8' };
const HEIGHT = 280;

const formatLoss = (_: uPlot, value: number | null | undefined) => (value === null || value === undefined ? '–' : value.toFixed(4));

/** Validation is measured every few steps: at the cursor, the latest measurement at or before it, with its step. */
function latestValidation(plot: uPlot, value: number | null, seriesIndex: number, index: number | null): string {
  if (value !== null && value !== undefined) return value.toFixed(4);
  for (let i = index ?? -1; i >= 0; i--) {
    const earlier = plot.data[seriesIndex][i];
    if (earlier !== null && earlier !== undefined) return `${earlier.toFixed(4)} (step ${plot.data[0][i]})`;
  }
  return '–';
}

export class LossChart {
  private readonly container: HTMLElement;
  private readonly empty: HTMLElement;
  private plot: uPlot | undefined;
  private plotKey = '';
  private data: ChartData = { training: [], validation: [], references: [] };
  private smoothing = 0.6;

  /** `container` holds the plot; `empty` is shown instead while there are no losses. */
  constructor(container: HTMLElement, empty: HTMLElement) {
    this.container = container;
    this.empty = empty;
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(container);
  }

  /** Redraws when the data changed (the arrays are replaced, never mutated, by the view state). */
  update(data: ChartData): void {
    if (data.training === this.data.training && data.validation === this.data.validation && data.references === this.data.references) return;
    this.data = data;
    this.draw();
  }

  /** The weight w of the moving average, in [0, 1). */
  setSmoothing(weight: number): void {
    this.smoothing = weight;
    this.draw();
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth);
  }

  private draw(): void {
    const { training, validation, references } = this.data;
    const hasData = training.length > 0 || validation.length > 0;
    this.empty.hidden = hasData;
    this.container.hidden = !hasData;
    if (!hasData) return;

    // One x axis for all series: the union of the steps, with gaps (null) where a series has no point.
    const steps = [...new Set([...training.map((p) => p.step), ...validation.map((p) => p.step)])].sort((a, b) => a - b);
    const column = (points: readonly LossPoint[], values = points.map((p) => p.loss)) => {
      const byStep = new Map(points.map((p, i) => [p.step, values[i]]));
      return steps.map((step) => byStep.get(step) ?? null);
    };
    const columns: (number | null)[][] = [
      column(training),
      column(training, smoothed(training.map((p) => p.loss), this.smoothing)),
      column(validation),
      ...references.map((reference) => steps.map(() => reference.loss)),
    ];

    // The series change with the references (the task); otherwise only the data does.
    const key = references.map((reference) => reference.label).join('|');
    if (!this.plot || key !== this.plotKey) {
      this.plot?.destroy();
      this.plotKey = key;
      this.plot = new uPlot(this.options(references), [steps, ...columns], this.container);
    } else {
      this.plot.setData([steps, ...columns]);
    }
  }

  private options(references: readonly ReferenceLine[]): uPlot.Options {
    const axis = { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.18)', width: 1 }, ticks: { stroke: 'rgba(128,128,128,0.3)', width: 1 } };
    return {
      width: this.width(),
      height: HEIGHT,
      scales: { x: { time: false }, y: { range: (_, min, max) => [Math.max(0, Math.min(min, ...references.map((r) => r.loss)) * 0.95), max * 1.05] } },
      axes: [
        { ...axis, label: 'training step', labelSize: 20, size: 36 },
        { ...axis, label: 'loss (nats per character)', labelSize: 20, size: 48, values: (_, ticks) => ticks.map((tick) => tick.toFixed(tick < 1 ? 2 : 1)) },
      ],
      cursor: { points: { size: 7 }, drag: { x: true, y: false } },
      legend: { live: true },
      series: [
        { label: 'step', value: (_, step) => (step === null ? '–' : String(step)) },
        { label: 'training', stroke: COLOURS.training, alpha: 0.35, width: 1, value: formatLoss, points: { show: false } },
        { label: 'training (smoothed)', stroke: COLOURS.smoothed, width: 2.5, value: formatLoss, points: { show: false } },
        { label: 'validation', stroke: COLOURS.validation, width: 2, spanGaps: true, value: latestValidation, points: { show: true, size: 5, fill: COLOURS.validation } },
        ...references.map((reference) => ({
          label: reference.label,
          stroke: COLOURS.reference,
          dash: [6, 4],
          width: 1.5,
          points: { show: false },
          value: () => reference.loss.toFixed(3),
        })),
      ],
    };
  }
}
