// The edge model as a line chart: p50 per route against the delay added to each D1 round trip.
// Plain SVG written by hand (no plotting library): one polyline per route, its slope is its
// round trips.
import type { EdgeModelResult } from "./edge-model";

const WIDTH = 800;
const HEIGHT = 420;
const PLOT = { left: 60, right: 330, top: 40, bottom: 60 };
const COLORS = ["#444444", "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A round, readable step for an axis reaching `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= raw) ?? raw;
}

export function edgeModelSvg(edge: EdgeModelResult): string {
  const maxDelay = Math.max(...edge.delaysMs);
  const maxP50 = Math.max(1, ...edge.rows.flatMap((r) => r.p50.filter((v): v is number => v !== null)));
  const yStep = tickStep(maxP50);
  const yMax = Math.ceil(maxP50 / yStep) * yStep;
  const innerW = WIDTH - PLOT.left - PLOT.right;
  const innerH = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (delay: number) => PLOT.left + (delay / maxDelay) * innerW;
  const y = (ms: number) => PLOT.top + innerH - (ms / yMax) * innerH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(
    `<text x="${PLOT.left}" y="22" font-size="14" font-weight="bold">p50 per route against the delay added to each D1 round trip (${edge.connections} connection)</text>`,
  );
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.left + innerW}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${PLOT.left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  for (const delay of edge.delaysMs) {
    out.push(`<line x1="${x(delay)}" x2="${x(delay)}" y1="${PLOT.top}" y2="${PLOT.top + innerH}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${x(delay)}" y="${PLOT.top + innerH + 18}" text-anchor="middle">${delay}</text>`);
  }
  out.push(`<text x="${PLOT.left + innerW / 2}" y="${HEIGHT - 18}" text-anchor="middle">delay per D1 round trip, ms</text>`);
  out.push(
    `<text x="16" y="${PLOT.top + innerH / 2}" text-anchor="middle" transform="rotate(-90 16 ${PLOT.top + innerH / 2})">p50, ms</text>`,
  );
  edge.rows.forEach((row, i) => {
    const color = COLORS[i % COLORS.length];
    const points = edge.delaysMs.flatMap((delay, j) => (row.p50[j] == null ? [] : [[x(delay), y(row.p50[j]!)] as const]));
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}"/>`,
    );
    for (const [px, py] of points) out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`);
    // At the largest delay every request of a stream is what its name says (at 0 ms the valid-token
    // stream also meets users whose keys it cached moments before).
    const trips = row.trips.at(-1);
    const legendY = PLOT.top + 10 + i * 20;
    out.push(
      `<line x1="${WIDTH - PLOT.right + 20}" x2="${WIDTH - PLOT.right + 40}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"/>`,
    );
    const label = `${row.name}${trips == null ? "" : ` (${trips} round trip${trips === 1 ? "" : "s"})`}`;
    out.push(`<text x="${WIDTH - PLOT.right + 46}" y="${legendY}">${escapeXml(label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
