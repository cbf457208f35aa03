// @ts-check
// The dashboard page's script, inlined into the page by page.ts as it is: no build step, so it is
// written for the browser as is, and type-checked against the API's types by ./tsconfig.json.
(() => {
  /** @typedef {import('../../telemetry/aggregate.ts').StreamSummary} StreamSummary */
  /** @typedef {import('../../telemetry/aggregate.ts').SeriesPoint} SeriesPoint */
  /** @typedef {Omit<StreamSummary, 'series'>} StreamFigures */
  /** @typedef {{ value: number, className: string, label: string }} Threshold */

  var POLL_MS = 3000;
  var API = location.pathname.replace(/\/$/, '') + '/api/streams';
  /** @type {string | null} */
  var selected = null;
  var windowMinutes = 10;
  var streamsBody = byId('streams');
  var detail = byId('detail');
  var statusLine = byId('status');
  byId('window').addEventListener('change', (event) => {
    windowMinutes = Number(/** @type {HTMLSelectElement} */ (event.target).value);
    refresh();
  });

  /** @param {string} id */
  function byId(id) {
    var element = document.getElementById(id);
    if (!element) throw new Error('the page has no #' + id);
    return element;
  }

  /** @param {string} text */
  function esc(text) { return String(text).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';'); }
  /** @param {number | null} ratio @param {number} [digits] */
  function pct(ratio, digits) { return ratio === null ? '–' : (ratio * 100).toFixed(digits === undefined ? 1 : digits) + ' %'; }
  /** @param {number | null} ms */
  function secs(ms) { return ms === null ? '–' : (ms / 1000).toFixed(1) + ' s'; }
  /** @param {number} value */
  function gb(value) { return value >= 0.1 ? value.toFixed(2) + ' GB' : (value * 1000).toFixed(1) + ' MB'; }
  /** @param {number} value */
  function money(value) { return value.toFixed(value >= 1 ? 2 : 4); }
  /** @param {number | null} value @param {number} digits */
  function num(value, digits) { return value === null ? '–' : value.toFixed(digits); }

  /** @param {StreamFigures} s */
  function row(s) {
    return '<tr data-stream="' + esc(s.stream) + '"' + (s.stream === selected ? ' class="selected"' : '') + '>' +
      '<td title="' + esc(s.stream) + '">' + esc(s.stream) + '</td>' +
      '<td>' + s.viewers + '</td><td>' + pct(s.offloadRatio) + '</td><td>' + gb(s.egressSavedGb) + '</td>' +
      '<td>' + money(s.egressSavedMoney) + '</td>' +
      '<td class="' + (s.rebufferLevel || '') + '">' + pct(s.rebufferRatio, 2) + '</td>' +
      '<td>' + secs(s.startupMs.p50) + ' / ' + secs(s.startupMs.p95) + '</td><td>' + secs(s.latencyMs.p50) + '</td>' +
      '<td>' + num(s.peersPerViewer, 1) + '</td></tr>';
  }

  /** @param {string} name @param {string} label @param {string | number} value @param {string} [sub] @param {string | null} [level] */
  function card(name, label, value, sub, level) {
    return '<div class="card"><div class="label">' + label + '</div><div class="value ' + (level || '') + '" data-figure="' + name + '">' + value + '</div>' +
      (sub ? '<div class="sub">' + sub + '</div>' : '') + '</div>';
  }

  /**
   * An SVG line chart: values may be null (a gap).
   * @param {string} name @param {string} title @param {SeriesPoint[]} series
   * @param {(point: SeriesPoint) => number | null} pick
   * @param {{ max?: number, format: (value: number) => string, thresholds?: Threshold[] }} options
   */
  function chart(name, title, series, pick, options) {
    var W = 400, H = 150, L = 40, R = 6, T = 8, B = 18;
    var values = series.map(pick);
    var max = options.max || 0;
    values.forEach((v) => { if (v !== null && v > max) max = v; });
    (options.thresholds || []).forEach((t) => { if (t.value * 1.2 > max) max = t.value * 1.2; });
    if (max <= 0) max = 1;
    /** @param {number} i */
    var x = (i) => L + (series.length < 2 ? 0 : (i * (W - L - R)) / (series.length - 1));
    /** @param {number} v */
    var y = (v) => T + (H - T - B) * (1 - v / max);
    var d = '', pen = false;
    values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    var svg = '<svg viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none">';
    svg += '<line class="axis" x1="' + L + '" y1="' + (H - B) + '" x2="' + (W - R) + '" y2="' + (H - B) + '"/>';
    svg += '<text x="' + (L - 4) + '" y="' + (T + 8) + '" text-anchor="end">' + options.format(max) + '</text>';
    svg += '<text x="' + (L - 4) + '" y="' + (H - B) + '" text-anchor="end">0</text>';
    var first = series[0], last = series[series.length - 1];
    if (first && last) {
      svg += '<text x="' + L + '" y="' + (H - 4) + '">' + new Date(first.t).toLocaleTimeString() + '</text>';
      svg += '<text x="' + (W - R) + '" y="' + (H - 4) + '" text-anchor="end">' + new Date(last.t).toLocaleTimeString() + '</text>';
    }
    (options.thresholds || []).forEach((t) => {
      svg += '<line class="threshold ' + t.className + '" stroke="currentColor" x1="' + L + '" x2="' + (W - R) + '" y1="' + y(t.value).toFixed(1) + '" y2="' + y(t.value).toFixed(1) + '"/>';
      svg += '<text x="' + (W - R) + '" y="' + (y(t.value) - 2).toFixed(1) + '" text-anchor="end">' + t.label + '</text>';
    });
    svg += '<path class="series" data-chart="' + name + '" d="' + d + '"/></svg>';
    return '<div class="chart"><h3>' + title + '</h3>' + svg + '</div>';
  }

  /** @param {StreamSummary} s */
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
      chart('viewers', 'Concurrent viewers', series, (p) => p.viewers, { format: (v) => v.toFixed(0) }) +
      chart('offload', 'Offload % (bytes from peers)', series, (p) => p.offloadRatio === null ? null : p.offloadRatio * 100, { max: 100, format: (v) => v.toFixed(0) + '%' }) +
      chart('rebuffer', 'Rebuffer ratio %', series, (p) => p.rebufferRatio === null ? null : p.rebufferRatio * 100, {
        format: (v) => v.toFixed(1) + '%',
        thresholds: [{ value: 1, className: 'warning', label: '1 %' }, { value: 3, className: 'bad', label: '3 %' }],
      }) +
      chart('latency', 'Live latency (s)', series, (p) => p.latencyMs === null ? null : p.latencyMs / 1000, { format: (v) => v.toFixed(0) + ' s' }) +
      chart('egress', 'Segment MB per 10 s: from the origin', series, (p) => p.httpBytes / 1e6, { format: (v) => v.toFixed(1) }) +
      chart('peers', 'Peers per viewer', series, (p) => p.peersPerViewer, { format: (v) => v.toFixed(1) }) +
      '<div class="chart"><h3>Viewers by rendition (last minute)</h3><div class="bars" data-figure="renditions">' +
      (s.renditions.length === 0 ? '<span class="sub">no watch time in the last minute</span>' : s.renditions.map((r) => '<div><span>' + esc(r.rendition) + '</span><span class="bar" style="width:' + Math.max(2, r.share * 240).toFixed(0) + 'px"></span><span>' + r.viewers.toFixed(1) + ' (' + pct(r.share, 0) + ')</span></div>').join('')) + '</div></div></div>';
    detail.innerHTML = '<h2 style="font-size:15px;margin:18px 0 0">' + esc(s.stream) + '</h2>' + html;
  }

  /**
   * The API's JSON, typed where it is used.
   * @param {string} url
   * @returns {Promise<any>}
   */
  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then((response) => {
      if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
      return response.json();
    });
  }

  function refresh() {
    return getJson(API).then(/** @param {{ streams: StreamFigures[] }} list */ (list) => {
      var top = list.streams[0];
      if (!top) {
        streamsBody.innerHTML = '';
        detail.innerHTML = '<p class="empty">No telemetry in the last hour. Players send beats to this tracker\'s /telemetry unless created with telemetry: false.</p>';
        selected = null;
        return;
      }
      var current = list.streams.find((s) => s.stream === selected) || top;
      selected = current.stream;
      streamsBody.innerHTML = list.streams.map(row).join('');
      return getJson(API + '/' + encodeURIComponent(current.stream)).then(render);
    }).then(() => {
      statusLine.textContent = 'updated ' + new Date().toLocaleTimeString() + ' · every ' + POLL_MS / 1000 + ' s';
      document.body.dataset.updated = String(Date.now());
    }, (error) => {
      statusLine.textContent = 'update failed: ' + error.message;
    });
  }

  streamsBody.addEventListener('click', (event) => {
    var tr = /** @type {Element} */ (event.target).closest('tr');
    if (tr instanceof HTMLElement && tr.dataset.stream !== undefined) { selected = tr.dataset.stream; refresh(); }
  });
  refresh();
  setInterval(refresh, POLL_MS);
})();
