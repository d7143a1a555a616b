/**
 * The loss pictures: the terminal braille chart puts a falling curve from the
 * top left to the bottom right with the validation marks where they belong;
 * the SVG holds one polyline point per training loss and one circle per
 * validation loss, inside its axes. No GPU.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, lossChartSvg, lossChartText, type LossPoint } from '../src/index.ts';

const training: LossPoint[] = Array.from({ length: 30 }, (_, i) => ({ step: (i + 1) * 10, loss: 1.5 + 3 * Math.exp(-i / 6) }));
const validation: LossPoint[] = [100, 200, 300].map((step) => ({ step, loss: 1.6 + 3 * Math.exp(-(step / 10 - 1) / 6) }));

/** The chart's rows, without the loss labels, axis and legend. */
function plotRows(chart: string): string[] {
  return chart
    .split('\n')
    .filter((line) => line.includes('┤'))
    .map((line) => line.slice(line.indexOf('┤') + 1));
}

describe('lossChartText', () => {
  it('draws a falling curve from the top left to the bottom right, with the loss range and steps labelled', () => {
    const chart = lossChartText({ training, validation }, { width: 40, height: 8 });
    const rows = plotRows(chart);
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(Array.from(row)).toHaveLength(40);
    const blank = String.fromCharCode(0x2800);
    // The first training point is the highest: top row, first column; the last is the lowest: bottom row, last columns.
    expect(Array.from(rows[0])[0]).not.toBe(blank);
    expect(Array.from(rows[7]).slice(-3).some((c) => c !== blank)).toBe(true);
    expect(Array.from(rows[7])[0]).toBe(blank);
    // Every column has a dot of the line (it is drawn as connected segments).
    for (let column = 0; column < 40; column++) expect(rows.some((row) => Array.from(row)[column] !== blank), `column ${column}`).toBe(true);
    expect(chart).toMatch(new RegExp(`^${Math.max(...training.map((p) => p.loss)).toFixed(2)} ┤`));
    expect(chart).toMatch(/\n1\.\d\d ┤/);
    expect(chart).toMatch(/step 10 +300\n/);
    expect(chart).toContain('● validation');
  });

  it('marks each validation loss at its step and loss', () => {
    const rows = plotRows(lossChartText({ training, validation }, { width: 30, height: 6 }));
    const marks = rows.flatMap((row, r) => Array.from(row).flatMap((c, column) => (c === '●' ? [[r, column]] : [])));
    expect(marks).toHaveLength(3);
    // Steps 100, 200, 300 of 10..300 over 60 dot columns (2 per character).
    expect(marks.map(([, column]) => column)).toEqual([100, 200, 300].map((step) => Math.floor(Math.round(((step - 10) / 290) * 59) / 2)));
    expect(marks[0][0]).toBeLessThan(marks[2][0]); // the first validation loss is higher on the chart
  });

  it('plots a flat or single-point curve and refuses one with nothing finite', () => {
    expect(plotRows(lossChartText({ training: [{ step: 5, loss: 2 }] }, { width: 10, height: 3 }))).toHaveLength(3);
    expect(() => lossChartText({ training: [{ step: 1, loss: Number.NaN }] })).toThrow(InvalidArgumentError);
  });
});

describe('lossChartSvg', () => {
  it('is a standalone SVG with a training polyline, validation circles, axes and a title', () => {
    const svg = lossChartSvg({ training, validation }, { width: 500, height: 300, title: 'lstm <1×8>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="300"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('lstm &lt;1×8&gt;');
    const points = svg.match(/<polyline class="training"[^>]* points="([^"]+)"/)![1].split(' ').map((pair) => pair.split(',').map(Number));
    expect(points).toHaveLength(training.length);
    // Inside the plot area, left to right, and falling (SVG y grows downwards).
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(500);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(300);
    }
    for (let i = 1; i < points.length; i++) {
      expect(points[i][0]).toBeGreaterThan(points[i - 1][0]);
      expect(points[i][1]).toBeGreaterThanOrEqual(points[i - 1][1]);
    }
    expect(svg.match(/<circle class="validation"/g)).toHaveLength(3);
    expect(svg).toContain('<title>step 300: ');
    // Every element opened (not self-closing) is closed.
    const opened = [...svg.matchAll(/<(svg|text|circle)\b[^>]*>/g)].filter((tag) => !tag[0].endsWith('/>')).length;
    const closed = (svg.match(/<\/(svg|text|circle)>/g) ?? []).length;
    expect(closed).toBe(opened);
  });
});
