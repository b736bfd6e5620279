// Self-contained SVG chart: actual vs forecast (p50) with the p10–p90 band. No plotting
// library is installed, and a static SVG opens in any browser.
import { isoLocal } from './time';

export interface PlotInput {
  readonly title: string;
  readonly times: readonly number[];
  readonly actual: readonly number[];
  readonly p10: readonly number[];
  readonly p50: readonly number[];
  readonly p90: readonly number[];
}

const W = 1200;
const H = 420;
const M = { left: 60, right: 20, top: 40, bottom: 50 };

/** Render the backtest trace as an SVG document string. */
export function renderForecastSvg(input: PlotInput): string {
  const n = input.times.length;
  if (n === 0) throw new Error('nothing to plot');
  let yMax = 1e-9;
  for (let i = 0; i < n; i++) yMax = Math.max(yMax, input.actual[i] ?? 0, input.p90[i] ?? 0);
  yMax *= 1.05;
  const x = (i: number): number => M.left + (n === 1 ? 0 : (i / (n - 1)) * (W - M.left - M.right));
  const y = (v: number): number => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const pt = (i: number, v: number): string => `${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  const line = (vals: readonly number[]): string => vals.map((v, i) => pt(i, v)).join(' ');
  const band = [...input.p90.map((v, i) => pt(i, v)), ...input.p10.map((v, i) => pt(i, v)).reverse()].join(' ');
  const ticks: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const v = (yMax * k) / 5;
    ticks.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>` +
        `<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${formatNumber(v)}</text>`,
    );
  }
  for (let k = 0; k <= 6; k++) {
    const i = Math.round(((n - 1) * k) / 6);
    const label = isoLocal(input.times[i] ?? 0)
      .replace('T00:00:00', '')
      .replace('T', ' ');
    ticks.push(`<text x="${x(i).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${label}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14">${escapeXml(input.title)}</text>`,
    ...ticks,
    `<polygon points="${band}" fill="#9ecae1" fill-opacity="0.5" stroke="none"/>`,
    `<polyline points="${line(input.p50)}" fill="none" stroke="#08519c" stroke-width="1.2"/>`,
    `<polyline points="${line(input.actual)}" fill="none" stroke="#222" stroke-width="1"/>`,
    `<g transform="translate(${W - 300},22)"><rect width="10" height="10" y="-9" fill="#9ecae1"/><text x="14">p10–p90</text>` +
      `<line x1="80" x2="100" y1="-4" y2="-4" stroke="#08519c" stroke-width="2"/><text x="104">forecast p50</text>` +
      `<line x1="190" x2="210" y1="-4" y2="-4" stroke="#222" stroke-width="2"/><text x="214">actual</text></g>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#888"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#888"/>`,
    '</svg>',
    '',
  ].join('\n');
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
