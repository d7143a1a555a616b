/**
 * Loss curves without a plotting library: a Unicode braille chart for a
 * terminal and a standalone SVG file. Both plot training losses as a line and
 * validation losses as points, against the optimizer step, on one linear scale.
 */
import type { LossPoint } from './train-options.ts';
import { InvalidArgumentError } from '../validation.ts';

export interface LossCurves {
  training: readonly LossPoint[];
  validation?: readonly LossPoint[];
}

interface Scale {
  stepMin: number;
  stepMax: number;
  lossMin: number;
  lossMax: number;
}

function scaleOf(curves: LossCurves): Scale {
  const points = [...curves.training, ...(curves.validation ?? [])].filter((p) => Number.isFinite(p.loss));
  if (points.length === 0) throw new InvalidArgumentError('curves', 'has no finite loss to plot');
  const steps = points.map((p) => p.step);
  const losses = points.map((p) => p.loss);
  let lossMin = Math.min(...losses);
  let lossMax = Math.max(...losses);
  if (lossMax - lossMin < 1e-6) {
    lossMin -= 0.5;
    lossMax += 0.5;
  }
  const stepMin = Math.min(...steps);
  const stepMax = Math.max(...steps);
  return { stepMin, stepMax: stepMax > stepMin ? stepMax : stepMin + 1, lossMin, lossMax };
}

// Braille cell: dot (x, y) of its 2 × 4 grid is this bit of U+2800 + bits.
const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];
const VALIDATION_MARK = '●';

/**
 * A chart `width` × `height` characters plus a loss axis on the left, a step
 * axis and a legend: the training line in braille dots (2 × 4 per character),
 * validation losses as ● marks.
 */
export function lossChartText(curves: LossCurves, options: { width?: number; height?: number } = {}): string {
  const width = options.width ?? 60;
  const height = options.height ?? 10;
  const s = scaleOf(curves);
  const dotsWide = width * 2;
  const dotsHigh = height * 4;
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  const marks = Array.from({ length: height }, () => new Array<boolean>(width).fill(false));
  const dotX = (step: number) => Math.round(((step - s.stepMin) / (s.stepMax - s.stepMin)) * (dotsWide - 1));
  const dotY = (loss: number) => Math.round(((s.lossMax - loss) / (s.lossMax - s.lossMin)) * (dotsHigh - 1));
  const plot = (x: number, y: number) => {
    cells[Math.floor(y / 4)][Math.floor(x / 2)] |= BRAILLE_BITS[y % 4][x % 2];
  };
  const training = curves.training.filter((p) => Number.isFinite(p.loss));
  training.forEach((point, i) => {
    const [x1, y1] = [dotX(point.step), dotY(point.loss)];
    const previous = training[i - 1];
    if (!previous) return plot(x1, y1);
    // The segment from the previous point, one dot per dot column or row it crosses.
    const [x0, y0] = [dotX(previous.step), dotY(previous.loss)];
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let k = 0; k <= n; k++) plot(Math.round(x0 + ((x1 - x0) * k) / n), Math.round(y0 + ((y1 - y0) * k) / n));
  });
  for (const point of curves.validation ?? []) {
    if (Number.isFinite(point.loss)) marks[Math.floor(dotY(point.loss) / 4)][Math.floor(dotX(point.step) / 2)] = true;
  }
  const labels = [s.lossMax, (s.lossMax + s.lossMin) / 2, s.lossMin].map((loss) => loss.toFixed(2));
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const labelAt = (row: number) => (row === 0 ? labels[0] : row === Math.floor((height - 1) / 2) ? labels[1] : row === height - 1 ? labels[2] : '');
  const rows = cells.map((row, r) => {
    const chart = row.map((bits, c) => (marks[r][c] ? VALIDATION_MARK : String.fromCharCode(0x2800 + bits))).join('');
    return `${labelAt(r).padStart(labelWidth)} ┤${chart}`;
  });
  const first = `step ${s.stepMin}`;
  const last = `${curves.training.length || curves.validation?.length ? s.stepMax : ''}`;
  rows.push(`${' '.repeat(labelWidth)} └${'─'.repeat(width)}`);
  rows.push(`${' '.repeat(labelWidth + 2)}${first}${last.padStart(Math.max(width - first.length, last.length))}`);
  rows.push(`${' '.repeat(labelWidth + 2)}⣀⡠⠔ training   ${VALIDATION_MARK} validation   (loss, nats/char)`);
  return rows.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A standalone SVG document of the curves, with axes, ticks and a legend. */
export function lossChartSvg(curves: LossCurves, options: { width?: number; height?: number; title?: string } = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const s = scaleOf(curves);
  const margin = { left: 56, right: 16, top: options.title ? 36 : 16, bottom: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (step: number) => margin.left + ((step - s.stepMin) / (s.stepMax - s.stepMin)) * plotWidth;
  const y = (loss: number) => margin.top + ((s.lossMax - loss) / (s.lossMax - s.lossMin)) * plotHeight;
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const loss = s.lossMin + ((s.lossMax - s.lossMin) * i) / 4;
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${f(y(loss))}" y2="${f(y(loss))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${f(y(loss) + 4)}" text-anchor="end">${loss.toFixed(2)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const step = Math.round(s.stepMin + ((s.stepMax - s.stepMin) * i) / 4);
    parts.push(`<text x="${f(x(step))}" y="${height - margin.bottom + 16}" text-anchor="middle">${step}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="black"/>`);
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}" stroke="black"/>`);
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">step</text>`);
  parts.push(`<text transform="translate(14 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">loss (nats/char)</text>`);
  const training = curves.training.filter((p) => Number.isFinite(p.loss));
  if (training.length > 0) {
    const points = training.map((p) => `${f(x(p.step))},${f(y(p.loss))}`).join(' ');
    parts.push(`<polyline class="training" fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>`);
  }
  for (const p of (curves.validation ?? []).filter((point) => Number.isFinite(point.loss))) {
    parts.push(`<circle class="validation" cx="${f(x(p.step))}" cy="${f(y(p.loss))}" r="3.5" fill="#d62728"><title>step ${p.step}: ${p.loss.toFixed(4)}</title></circle>`);
  }
  const legendX = width - margin.right - 150;
  parts.push(`<line x1="${legendX}" x2="${legendX + 20}" y1="${margin.top + 10}" y2="${margin.top + 10}" stroke="#1f77b4" stroke-width="1.5"/>`);
  parts.push(`<text x="${legendX + 26}" y="${margin.top + 14}">training</text>`);
  parts.push(`<circle cx="${legendX + 10}" cy="${margin.top + 28}" r="3.5" fill="#d62728"/>`);
  parts.push(`<text x="${legendX + 26}" y="${margin.top + 32}">validation</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
