// Inline SVG charts for the HTML report: no scripts, no fonts or libraries to fetch, so the report
// is one file that renders offline.
import type { Chart } from '../result.ts';

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 16, bottom: 40 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

// XML 1.0 allows these characters nowhere, not even as references: they become U+FFFD.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Safe in XML and HTML text and in either kind of quoted attribute (the report's SVG and the JUnit XML). */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A round step for about five grid lines up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
}

const label = (value: number) => (Math.abs(value) >= 1000 ? value.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(Math.round(value * 100) / 100));

export function renderChart(chart: Chart): string {
  const finite = chart.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMax = chart.kind === 'bar' ? Math.max(1, ...chart.series.map((s) => s.points.length)) : Math.max(1, ...finite.map(([x]) => x));
  const top = Math.max(0, ...finite.map(([, y]) => y));
  // An all-zero chart (no late segments) still gets a readable 0–1 axis.
  const step = niceStep(top > 0 ? top : 1);
  const yMax = Math.max(step, Math.ceil(top / step) * step);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;

  const parts: string[] = [];
  for (let y = 0; y <= yMax + step / 2; y += step) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end">${label(y)}</text>`);
  }
  parts.push(`<text x="14" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})" text-anchor="middle">${escapeXml(chart.unit)}</text>`);
  if (chart.kind === 'line') {
    const xStep = niceStep(xMax);
    for (let x = 0; x <= xMax; x += xStep) parts.push(`<text x="${sx(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${label(x)}</text>`);
    parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">seconds</text>`);
    chart.series.forEach((series, i) => {
      const path = series.points.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      if (path) parts.push(`<polyline class="series" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${path}"/>`);
    });
  } else {
    const groups = xMax;
    const groupW = plotW / groups;
    const barW = (groupW * 0.8) / chart.series.length;
    chart.series.forEach((series, i) => {
      series.points.forEach(([, y], bar) => {
        const height = Number.isFinite(y) ? plotH - (sy(y) - MARGIN.top) : 0;
        parts.push(`<rect class="series" x="${(MARGIN.left + bar * groupW + groupW * 0.1 + i * barW).toFixed(1)}" y="${(MARGIN.top + plotH - height).toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(height, 0.5).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`);
      });
    });
    (chart.labels ?? []).forEach((text, bar) => {
      if (groups <= 24 || bar % Math.ceil(groups / 24) === 0) {
        parts.push(`<text x="${(MARGIN.left + (bar + 0.5) * groupW).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeXml(text)}</text>`);
      }
    });
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#6b7280"/>`);
  const legend = chart.series.map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${escapeXml(s.name)}</span>`).join('');
  return `<figure><figcaption>${escapeXml(chart.title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(chart.title)}">${parts.join('')}</svg>` +
    `<div class="legend">${legend}</div></figure>`;
}
