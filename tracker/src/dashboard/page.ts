/**
 * The dashboard page, self-contained (inline CSS, script and SVG charts; no library, no build
 * step, nothing fetched but the JSON API), kept as a string so a bundled tracker still serves it.
 * Figures and chart paths carry `data-figure` / `data-chart` attributes, which the browser test reads.
 */
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
  .chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
  .chart h3 { margin: 0 0 4px; font-size: 13px; font-weight: 500; }
  .chart svg { width: 100%; height: 150px; display: block; }
  .chart .axis { stroke: var(--line); }
  .chart text { fill: var(--muted); font-size: 10px; }
  .chart .series { fill: none; stroke: var(--accent); stroke-width: 1.5; }
  .chart .threshold { stroke-dasharray: 4 3; stroke-width: 1; }
  .bars div { display: flex; gap: 8px; align-items: center; margin: 3px 0; }
  .bars span:first-child { width: 60px; }
  .bars .bar { height: 12px; background: var(--accent); border-radius: 2px; }
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
(function () {
  var POLL_MS = 3000;
  var API = location.pathname.replace(/\\/$/, '') + '/api/streams';
  var selected = null;
  var windowMinutes = 10;
  var streamsBody = document.getElementById('streams');
  var detail = document.getElementById('detail');
  var statusLine = document.getElementById('status');
  document.getElementById('window').addEventListener('change', function (event) { windowMinutes = Number(event.target.value); refresh(); });

  function esc(text) { return String(text).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function pct(ratio, digits) { return ratio === null ? '–' : (ratio * 100).toFixed(digits === undefined ? 1 : digits) + ' %'; }
  function secs(ms) { return ms === null ? '–' : (ms / 1000).toFixed(1) + ' s'; }
  function gb(value) { return value >= 0.1 ? value.toFixed(2) + ' GB' : (value * 1000).toFixed(1) + ' MB'; }
  function money(value) { return value.toFixed(value >= 1 ? 2 : 4); }
  function num(value, digits) { return value === null ? '–' : value.toFixed(digits); }

  function row(s) {
    return '<tr data-stream="' + esc(s.stream) + '"' + (s.stream === selected ? ' class="selected"' : '') + '>' +
      '<td title="' + esc(s.stream) + '">' + esc(s.stream) + '</td>' +
      '<td>' + s.viewers + '</td><td>' + pct(s.offloadRatio) + '</td><td>' + gb(s.egressSavedGb) + '</td>' +
      '<td>' + money(s.egressSavedMoney) + '</td>' +
      '<td class="' + (s.rebufferLevel || '') + '">' + pct(s.rebufferRatio, 2) + '</td>' +
      '<td>' + secs(s.startupMs.p50) + ' / ' + secs(s.startupMs.p95) + '</td><td>' + secs(s.latencyMs.p50) + '</td>' +
      '<td>' + num(s.peersPerViewer, 1) + '</td></tr>';
  }

  function card(name, label, value, sub, level) {
    return '<div class="card"><div class="label">' + label + '</div><div class="value ' + (level || '') + '" data-figure="' + name + '">' + value + '</div>' +
      (sub ? '<div class="sub">' + sub + '</div>' : '') + '</div>';
  }

  /** An SVG line chart: values may be null (a gap). thresholds: [{value, className, label}]. */
  function chart(name, title, series, pick, options) {
    var W = 400, H = 150, L = 40, R = 6, T = 8, B = 18;
    var values = series.map(pick);
    var max = options.max || 0;
    values.forEach(function (v) { if (v !== null && v > max) max = v; });
    (options.thresholds || []).forEach(function (t) { if (t.value * 1.2 > max) max = t.value * 1.2; });
    if (max <= 0) max = 1;
    var x = function (i) { return L + (series.length < 2 ? 0 : (i * (W - L - R)) / (series.length - 1)); };
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var d = '', pen = false;
    values.forEach(function (v, i) {
      if (v === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    var svg = '<svg viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none">';
    svg += '<line class="axis" x1="' + L + '" y1="' + (H - B) + '" x2="' + (W - R) + '" y2="' + (H - B) + '"/>';
    svg += '<text x="' + (L - 4) + '" y="' + (T + 8) + '" text-anchor="end">' + options.format(max) + '</text>';
    svg += '<text x="' + (L - 4) + '" y="' + (H - B) + '" text-anchor="end">0</text>';
    if (series.length > 0) {
      var t0 = new Date(series[0].t), t1 = new Date(series[series.length - 1].t);
      svg += '<text x="' + L + '" y="' + (H - 4) + '">' + t0.toLocaleTimeString() + '</text>';
      svg += '<text x="' + (W - R) + '" y="' + (H - 4) + '" text-anchor="end">' + t1.toLocaleTimeString() + '</text>';
    }
    (options.thresholds || []).forEach(function (t) {
      svg += '<line class="threshold ' + t.className + '" stroke="currentColor" x1="' + L + '" x2="' + (W - R) + '" y1="' + y(t.value).toFixed(1) + '" y2="' + y(t.value).toFixed(1) + '"/>';
      svg += '<text x="' + (W - R) + '" y="' + (y(t.value) - 2).toFixed(1) + '" text-anchor="end">' + t.label + '</text>';
    });
    svg += '<path class="series" data-chart="' + name + '" d="' + d + '"/></svg>';
    return '<div class="chart"><h3>' + title + '</h3>' + svg + '</div>';
  }

  function render(s) {
    var series = s.series.slice(-windowMinutes * 6);
    var html = '<div class="cards">' +
      card('viewers', 'viewers now', s.viewers) +
      card('offload', 'offload (bytes from peers)', pct(s.offloadRatio)) +
      card('saved', 'origin egress saved', gb(s.egressSavedGb), money(s.egressSavedMoney) + ' at ' + s.pricePerGb + ' / GB') +
      card('rebuffer', 'rebuffer ratio', pct(s.rebufferRatio, 2), 'good < 1 %, bad ≥ 3 %', s.rebufferLevel) +
      card('startup', 'startup p50 / p95', secs(s.startupMs.p50), 'p95 ' + secs(s.startupMs.p95) + ' · ' + s.startupMs.count + ' sessions') +
      card('latency', 'live latency p50', secs(s.latencyMs.p50), 'p95 ' + secs(s.latencyMs.p95)) +
      card('peers', 'peers per viewer', num(s.peersPerViewer, 1)) +
      card('stalls', 'stalls / errors', s.stalls + ' / ' + s.errors) +
      '</div><div class="charts">' +
      chart('viewers', 'Concurrent viewers', series, function (p) { return p.viewers; }, { format: function (v) { return v.toFixed(0); } }) +
      chart('offload', 'Offload % (bytes from peers)', series, function (p) { return p.offloadRatio === null ? null : p.offloadRatio * 100; }, { max: 100, format: function (v) { return v.toFixed(0) + '%'; } }) +
      chart('rebuffer', 'Rebuffer ratio %', series, function (p) { return p.rebufferRatio === null ? null : p.rebufferRatio * 100; }, {
        format: function (v) { return v.toFixed(1) + '%'; },
        thresholds: [{ value: 1, className: 'warning', label: '1 %' }, { value: 3, className: 'bad', label: '3 %' }],
      }) +
      chart('latency', 'Live latency (s)', series, function (p) { return p.latencyMs === null ? null : p.latencyMs / 1000; }, { format: function (v) { return v.toFixed(0) + ' s'; } }) +
      chart('egress', 'Segment MB per 10 s: from the origin', series, function (p) { return p.httpBytes / 1e6; }, { format: function (v) { return v.toFixed(1); } }) +
      chart('peers', 'Peers per viewer', series, function (p) { return p.peersPerViewer; }, { format: function (v) { return v.toFixed(1); } }) +
      '<div class="chart"><h3>Viewers by rendition (last minute)</h3><div class="bars" data-figure="renditions">' +
      (s.renditions.length === 0 ? '<span class="sub">no watch time in the last minute</span>' : s.renditions.map(function (r) {
        return '<div><span>' + esc(r.rendition) + '</span><span class="bar" style="width:' + Math.max(2, r.share * 240).toFixed(0) + 'px"></span><span>' + r.viewers.toFixed(1) + ' (' + pct(r.share, 0) + ')</span></div>';
      }).join('')) + '</div></div></div>';
    detail.innerHTML = '<h2 style="font-size:15px;margin:18px 0 0">' + esc(s.stream) + '</h2>' + html;
  }

  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then(function (response) {
      if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
      return response.json();
    });
  }

  function refresh() {
    return getJson(API).then(function (list) {
      if (list.streams.length === 0) {
        streamsBody.innerHTML = '';
        detail.innerHTML = '<p class="empty">No telemetry in the last hour. Players send beats to this tracker\\'s /telemetry unless created with telemetry: false.</p>';
        selected = null;
        return;
      }
      if (!list.streams.some(function (s) { return s.stream === selected; })) selected = list.streams[0].stream;
      streamsBody.innerHTML = list.streams.map(row).join('');
      return getJson(API + '/' + encodeURIComponent(selected)).then(render);
    }).then(function () {
      statusLine.textContent = 'updated ' + new Date().toLocaleTimeString() + ' · every ' + POLL_MS / 1000 + ' s';
      document.body.dataset.updated = String(Date.now());
    }, function (error) {
      statusLine.textContent = 'update failed: ' + error.message;
    });
  }

  streamsBody.addEventListener('click', function (event) {
    var tr = event.target.closest('tr');
    if (tr) { selected = tr.dataset.stream; refresh(); }
  });
  refresh();
  setInterval(refresh, POLL_MS);
})();
</script>
</body>
</html>
`;
