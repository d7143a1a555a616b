/** A few lines on a canvas, scaled to fit: enough for the examples, no chart library. */
export interface Line {
  label: string;
  colour: string;
  /** y values at x = offset, offset + 1, … */
  values: ArrayLike<number>;
  offset?: number;
  dashed?: boolean;
}

export function plotLines(canvas: HTMLCanvasElement, lines: Line[]): void {
  const scale = devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * scale;
  canvas.height = canvas.clientHeight * scale;
  const g = canvas.getContext('2d')!;
  g.scale(scale, scale);
  const [width, height, pad] = [canvas.clientWidth, canvas.clientHeight, 24];
  const all = lines.flatMap((line) => Array.from(line.values));
  const [low, high] = [Math.min(...all), Math.max(...all)];
  const xMax = Math.max(...lines.map((line) => (line.offset ?? 0) + line.values.length - 1), 1);
  const x = (i: number) => pad + (i / xMax) * (width - 2 * pad);
  const y = (v: number) => height - pad - ((v - low) / (high - low || 1)) * (height - 2 * pad);
  lines.forEach((line, k) => {
    g.strokeStyle = line.colour;
    g.lineWidth = 2;
    g.setLineDash(line.dashed ? [5, 4] : []);
    g.beginPath();
    Array.from(line.values).forEach((v, i) => (i === 0 ? g.moveTo : g.lineTo).call(g, x((line.offset ?? 0) + i), y(v)));
    g.stroke();
    g.fillStyle = line.colour;
    g.font = '12px system-ui, sans-serif';
    g.fillText(line.label, pad + 8 + k * 130, 16);
  });
}
