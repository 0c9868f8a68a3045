/**
 * A dependency-free SVG line chart for bench curves (e.g. verifies/s against batch size per
 * pool size). Axes with ticks, optional log-x, a legend; enough to read a trend at a glance.
 */
import type { Chart } from "./types.js";

const W = 720;
const H = 420;
const M = { left: 80, right: 180, top: 40, bottom: 60 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

export function renderChartSvg(chart: Chart): string {
  const pts = chart.series.flatMap((s) => s.points);
  const xs = pts.map((p) => (chart.logX ? Math.log10(Math.max(p.x, 1e-9)) : p.x));
  const ys = pts.map((p) => p.y);
  const x0 = Math.min(...xs, chart.logX ? 0 : 0);
  const x1 = Math.max(...xs, x0 + 1);
  const y1 = niceMax(Math.max(...ys, 1));
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / y1) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(chart.title)}</text>`);
  // axes
  out.push(`<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`);
  for (let i = 0; i <= 5; i++) {
    const y = (y1 * i) / 5;
    out.push(`<line x1="${M.left - 4}" y1="${py(y)}" x2="${W - M.right}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  const xTicks = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  for (const x of xTicks) {
    const xx = px(chart.logX ? Math.log10(Math.max(x, 1e-9)) : x);
    out.push(`<line x1="${xx}" y1="${H - M.bottom}" x2="${xx}" y2="${H - M.bottom + 4}" stroke="black"/>`);
    out.push(`<text x="${xx}" y="${H - M.bottom + 18}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 15}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(
    `<text x="18" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(M.top + H - M.bottom) / 2})">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const path = s.points
      .map((p, j) => `${j === 0 ? "M" : "L"}${px(chart.logX ? Math.log10(Math.max(p.x, 1e-9)) : p.x).toFixed(1)},${py(p.y).toFixed(1)}`)
      .join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${px(chart.logX ? Math.log10(Math.max(p.x, 1e-9)) : p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = M.top + 10 + i * 18;
    out.push(`<line x1="${W - M.right + 15}" y1="${ly}" x2="${W - M.right + 35}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 40}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(2);
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
