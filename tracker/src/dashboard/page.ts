/**
 * The dashboard page, self-contained (inline CSS, script and SVG charts; no library, no build
 * step, nothing fetched but the JSON API). Figures, charts and their series carry `data-figure`,
 * `data-chart-name`, `data-chart` and `data-series` attributes, which the browser tests read.
 */
import { readFileSync } from 'node:fs';

/**
 * The page's script, type-checked as a file of its own (browser/tsconfig.json) and inlined here.
 * A bundled tracker reads it next to its bundle: the image copies it to dist/browser/.
 */
const script = readFileSync(new URL('./browser/dashboard.js', import.meta.url), 'utf8').replaceAll('</script', '<\\/script');

export const dashboardPage = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Swarmcast audience</title>
<style>
  :root { --fg: #1d2330; --muted: #677086; --line: #e3e6ee; --accent: #2563eb; --good: #15803d; --warn: #b45309; --bad: #b91c1c; }
  body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); margin: 0; background: #f6f7fb; }
  header { padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .status { color: var(--muted); font-size: 12px; }
  main { padding: 16px 24px; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
  th, td { text-align: right; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; max-width: 360px; overflow: hidden; text-overflow: ellipsis; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  tbody tr { cursor: pointer; }
  tbody tr.selected { background: #eef3ff; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 16px 0; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
  .card .label { color: var(--muted); font-size: 12px; }
  .card .value { font-size: 22px; font-weight: 600; }
  .card .sub { color: var(--muted); font-size: 12px; }
  .good { color: var(--good); } .warning { color: var(--warn); } .bad { color: var(--bad); }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 10px; }
  .chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 0; min-width: 0; }
  .chart h3 { margin: 0 0 4px; font-size: 13px; font-weight: 500; }
  .legend { list-style: none; margin: 0 0 4px; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; color: var(--muted); }
  .legend i { display: inline-block; width: 12px; margin-right: 5px; vertical-align: middle; }
  .legend .swatch { height: 10px; background: var(--color); opacity: .75; }
  .legend .swatch-line { height: 0; border-top: 2px solid var(--color); }
  .plot { position: relative; }
  .plot svg { display: block; overflow: visible; }
  .plot text { fill: var(--muted); font-size: 10px; }
  .plot .grid { stroke: var(--line); }
  .plot .axis { stroke: var(--muted); }
  .plot .area { opacity: .75; stroke: none; }
  .plot .band { opacity: .18; stroke: none; }
  .plot .line { fill: none; stroke-width: 1.5; }
  .plot .total { stroke: var(--fg); stroke-width: 1; }
  .plot .dashed { stroke-dasharray: 5 3; }
  .plot .threshold { stroke-dasharray: 4 3; stroke-width: 1; }
  .plot .cursor { stroke: var(--fg); stroke-width: 1; pointer-events: none; }
  .readout { position: absolute; top: 4px; pointer-events: none; background: rgba(255, 255, 255, .95); border: 1px solid var(--line); border-radius: 4px; padding: 4px 8px; font-size: 12px; white-space: nowrap; box-shadow: 0 1px 3px rgba(0, 0, 0, .08); }
  .readout .when { color: var(--muted); }
  .readout div { display: flex; justify-content: space-between; gap: 12px; }
  h2 { font-size: 15px; margin: 18px 0 0; }
  .empty { color: var(--muted); padding: 24px; background: #fff; border: 1px solid var(--line); }
  select { font: inherit; }
</style>
</head>
<body>
<header>
  <h1>Swarmcast audience</h1>
  <span class="status" id="status">loading…</span>
  <label class="status">window <select id="window"><option value="10">10 min</option><option value="60">1 hour</option></select></label>
</header>
<main>
  <table>
    <thead><tr><th>stream</th><th>viewers</th><th>offload</th><th>egress saved</th><th>saved</th><th>rebuffer</th><th>startup p50 / p95</th><th>latency p50</th><th>peers / viewer</th></tr></thead>
    <tbody id="streams"></tbody>
  </table>
  <div id="detail"></div>
</main>
<script>
${script}</script>
</body>
</html>
`;
