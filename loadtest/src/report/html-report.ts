// The self-contained HTML report: figures, charts (inline SVG) and the parameters of the run, in
// one file with no external resource, to attach to a ticket or open the night before an event.
import type { LoadtestResult } from '../result.ts';
import { formatValue } from './summary-table.ts';
import { escapeXml, renderChart } from './svg-chart.ts';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1340px;padding:0 1rem;color:#111827}
h1{font-size:1.5rem;margin:0 0 .25rem}.sub{color:#4b5563;margin:0 0 1.5rem}.partial{color:#b91c1c;font-weight:600}
table{border-collapse:collapse;margin:0 0 1.5rem}td,th{border-bottom:1px solid #e5e7eb;padding:.35rem .75rem;text-align:left;vertical-align:top}
td.value{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}svg text{font-size:11px;fill:#374151}
.legend span{margin-right:1rem;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
pre{background:#f3f4f6;padding:.75rem;overflow:auto;font-size:12px}`;

export function renderHtmlReport(result: LoadtestResult): string {
  const rows = result.figures
    .map((f) => `<tr><th>${escapeXml(f.label)}</th><td class="value">${escapeXml(formatValue(f.value, f.unit))}</td><td>${escapeXml(f.meaning)}</td></tr>`)
    .join('');
  const verdict = result.verdict
    ? `<h2 class="${result.verdict.passed ? '' : 'partial'}">Thresholds: ${result.verdict.passed ? 'passed' : 'FAILED'}</h2><table>${result.verdict.thresholds
        .map((t) => `<tr><th>${t.passed ? '✓' : '✗'} ${escapeXml(t.rule)}</th><td class="value">${t.actual ?? 'n/a'}</td><td>${escapeXml(t.reason ?? '')}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Swarmcast loadtest: ${escapeXml(result.scenario)}</title><style>${STYLE}</style></head>
<body>
<h1>Swarmcast loadtest: ${escapeXml(result.scenario)}</h1>
<p class="sub">${escapeXml(result.startedAt)} · ${result.durationSec} s · ${escapeXml(result.targets.join(', '))}${
    result.stoppedEarly ? ` · <span class="partial">partial: ${escapeXml(result.stoppedEarly)}</span>` : ''}</p>
${verdict}<table>${rows}</table>
<div class="charts">${result.charts.map(renderChart).join('\n')}</div>
<h2>Parameters</h2>
<pre>${escapeXml(JSON.stringify(result.parameters, null, 2))}</pre>
</body></html>
`;
}
