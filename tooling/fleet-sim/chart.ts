/**
 * The PNG chart of a run: three panels over simulated days (renewals, failures, alerts), fault
 * windows shaded. Pixels are drawn here and encoded by pngjs (a small, well-kept pure-JS encoder);
 * a charting library would pull in a canvas or a browser for three bar panels.
 */
import { PNG } from 'pngjs';
import type { FleetReport } from './report.ts';

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const FAULT: Rgb = [255, 236, 200];
const BLUE: Rgb = [52, 101, 164];
const RED: Rgb = [204, 0, 0];
const ORANGE: Rgb = [245, 121, 0];
const GREEN: Rgb = [78, 154, 6];

// A 3x5 bitmap font (rows top to bottom, 3 bits each) for labels and numbers.
const FONT: Record<string, number[]> = {
  A: [2, 5, 7, 5, 5],
  B: [6, 5, 6, 5, 6],
  C: [3, 4, 4, 4, 3],
  D: [6, 5, 5, 5, 6],
  E: [7, 4, 6, 4, 7],
  F: [7, 4, 6, 4, 4],
  G: [3, 4, 5, 5, 3],
  H: [5, 5, 7, 5, 5],
  I: [7, 2, 2, 2, 7],
  J: [1, 1, 1, 5, 2],
  K: [5, 5, 6, 5, 5],
  L: [4, 4, 4, 4, 7],
  M: [5, 7, 7, 5, 5],
  N: [6, 5, 5, 5, 5],
  O: [2, 5, 5, 5, 2],
  P: [6, 5, 6, 4, 4],
  Q: [2, 5, 5, 6, 3],
  R: [6, 5, 6, 5, 5],
  S: [3, 4, 2, 1, 6],
  T: [7, 2, 2, 2, 2],
  U: [5, 5, 5, 5, 7],
  V: [5, 5, 5, 5, 2],
  W: [5, 5, 7, 7, 5],
  X: [5, 5, 2, 5, 5],
  Y: [5, 5, 2, 2, 2],
  Z: [7, 1, 2, 4, 7],
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [6, 1, 2, 4, 7],
  '3': [6, 1, 2, 1, 6],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 6, 1, 6],
  '6': [3, 4, 7, 5, 7],
  '7': [7, 1, 2, 2, 2],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 6],
  ' ': [0, 0, 0, 0, 0],
  '-': [0, 0, 7, 0, 0],
  '.': [0, 0, 0, 0, 2],
  ':': [0, 2, 0, 2, 0],
  '/': [1, 1, 2, 4, 4],
  '(': [1, 2, 2, 2, 1],
  ')': [4, 2, 2, 2, 4],
  ',': [0, 0, 0, 2, 4],
  '%': [5, 1, 2, 4, 5],
};

export function renderChart(report: FleetReport): Buffer {
  const width = 1200;
  const panelHeight = 170;
  const top = 40;
  const left = 70;
  const right = 20;
  const gap = 40;
  const height = top + 3 * panelHeight + 2 * gap + 50;
  const png = new PNG({ width, height });
  const set = (x: number, y: number, [r, g, b]: Rgb) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.floor(y) * width + Math.floor(x)) * 4;
    png.data[i] = r;
    png.data[i + 1] = g;
    png.data[i + 2] = b;
    png.data[i + 3] = 255;
  };
  const rect = (x: number, y: number, w: number, h: number, color: Rgb) => {
    for (let yy = Math.floor(y); yy < y + h; yy++) for (let xx = Math.floor(x); xx < x + w; xx++) set(xx, yy, color);
  };
  const text = (x: number, y: number, s: string, color: Rgb = INK, scale = 2) => {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT[' ']!;
      glyph.forEach((row, ry) => {
        for (let bit = 0; bit < 3; bit++)
          if (row & (4 >> bit)) rect(cx + bit * scale, y + ry * scale, scale, scale, color);
      });
      cx += 4 * scale;
    }
  };
  rect(0, 0, width, height, WHITE);

  // One bar per simulated day.
  const days = Math.max(1, Math.ceil(report.simulated_days));
  const perDay = (pick: (s: FleetReport['samples'][number]) => number) => {
    const out = new Array<number>(days).fill(0);
    for (const s of report.samples) {
      const d = Math.min(days - 1, Math.floor((s.at - report.sample_start) / 86_400_000));
      out[d]! += pick(s);
    }
    return out;
  };
  const plotWidth = width - left - right;
  const barWidth = plotWidth / days;
  text(left, 10, `fleet simulation ${report.scenario}: ${report.certificates} certificates, ${days} days`);

  const panel = (index: number, title: string, series: { values: number[]; color: Rgb; label: string }[]) => {
    const y0 = top + index * (panelHeight + gap);
    for (const f of report.faults) {
      const x = left + Math.max(0, f.start_day) * barWidth;
      const w = Math.max(2, (f.end_day - f.start_day) * barWidth);
      rect(x, y0, w, panelHeight, FAULT);
    }
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    for (let g = 0; g <= 4; g++) rect(left, y0 + (panelHeight * g) / 4, plotWidth, 1, GRID);
    const slot = barWidth / series.length;
    for (const [si, s] of series.entries())
      for (const [d, v] of s.values.entries()) {
        const h = (v / max) * panelHeight;
        rect(left + d * barWidth + si * slot, y0 + panelHeight - h, Math.max(1, slot - 1), h, s.color);
      }
    rect(left, y0, 1, panelHeight, INK);
    rect(left, y0 + panelHeight, plotWidth, 1, INK);
    text(4, y0, String(max));
    text(4, y0 + panelHeight - 10, '0');
    let lx = left + 8;
    text(lx, y0 - 16, title);
    lx += (title.length + 2) * 8;
    for (const s of series) {
      rect(lx, y0 - 16, 10, 10, s.color);
      text(lx + 14, y0 - 16, s.label);
      lx += 14 + (s.label.length + 2) * 8;
    }
  };
  panel(0, 'per day:', [{ values: perDay((s) => s.renewals), color: BLUE, label: 'renewals' }]);
  panel(1, 'per day:', [
    { values: perDay((s) => s.caRefusals), color: RED, label: 'CA calls refused' },
    { values: perDay((s) => s.deployFailures), color: ORANGE, label: 'deployments failed' },
  ]);
  panel(2, 'per day:', [
    { values: perDay((s) => s.pages), color: RED, label: 'alerts sent' },
    { values: perDay((s) => s.resolves), color: GREEN, label: 'incidents resolved' },
  ]);
  const axisY = top + 3 * panelHeight + 2 * gap + 8;
  const tick = Math.max(1, Math.round(days / 15));
  for (let d = 0; d <= days; d += tick) {
    rect(left + d * barWidth, axisY - 8, 1, 5, INK);
    text(left + d * barWidth - 4, axisY, String(d));
  }
  text(left + plotWidth / 2 - 80, axisY + 18, 'simulated day (shaded: faults)');
  return PNG.sync.write(png);
}
