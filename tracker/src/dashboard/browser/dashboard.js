// @ts-check
// The dashboard page's script, inlined into the page by page.ts as it is: no build step, so it is
// written for the browser as is, and type-checked against the API's types by ./tsconfig.json.
(() => {
  /** @typedef {import('../stream-detail.ts').StreamDetail} StreamDetail */
  /** @typedef {Omit<import('../../telemetry/aggregate.ts').StreamSummary, 'series'>} StreamFigures */
  /** @typedef {{ value: number, className: string, label: string }} Threshold */

  var POLL_MS = 3000;
  var MAX_SHOWN_NAME = 60;
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
  /**
   * A stream's name as shown: its URL's path (the host is the same for most streams of a site),
   * at most `MAX_SHOWN_NAME` characters; the full name goes in a `title`.
   * @param {string} stream
   */
  function shortStream(stream) {
    let name = stream;
    try {
      const url = new URL(stream);
      name = url.pathname === '/' ? url.host : url.pathname;
    } catch {
      // Not a URL: shown as sent.
    }
    return name.length <= MAX_SHOWN_NAME ? name : name.slice(0, 16) + '…' + name.slice(name.length - (MAX_SHOWN_NAME - 17));
  }
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
      '<td title="' + esc(s.stream) + '">' + esc(shortStream(s.stream)) + '</td>' +
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

  // Charts. Each is an SVG drawn at its box's own pixel size (viewBox = width × height), so text
  // keeps its font size at any width; the page redraws them when the window is resized.

  var CHART_HEIGHT = 190;
  var M = { left: 70, right: 12, top: 10, bottom: 24 };
  var ORIGIN_COLOR = '#d97706';
  var PEERS_COLOR = '#2563eb';
  var BASELINE_COLOR = '#677086';
  var SAVED_COLOR = '#15803d';
  var PALETTE = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626', '#94a3b8'];

  /**
   * @typedef {{ label: string, color: string, values: Array<number | null>, chart?: string, dashed?: boolean }} Layer
   * @typedef {{ label: string, color: string, lower: number[], upper: number[] }} Band  the area between two lines
   * @typedef {{
   *   name: string, title: string, t: number[], layers: Layer[], stacked?: boolean,
   *   axis: (value: number) => string, read?: (value: number) => string,
   *   total?: { label: string, chart: string }, band?: Band, floor?: number, max?: number, thresholds?: Threshold[],
   * }} ChartSpec
   *   `axis` formats tick labels, `read` the hover read-out (default: `axis`); a stacked chart draws
   *   its layers on top of each other and `total` as a line along the top; `floor`: the least top of the y axis.
   */

  /** The largest of 1, 2, 5 × 10^k at most `raw`'s order: ticks people can read. @param {number} raw */
  function niceStep(raw) {
    var power = 10 ** Math.floor(Math.log10(raw));
    var mantissa = raw / power;
    return (mantissa > 5 ? 10 : mantissa > 2 ? 5 : mantissa > 1 ? 2 : 1) * power;
  }

  /** Up to 3 significant digits, no trailing zeros. @param {number} value */
  function short(value) { return String(Number(value.toPrecision(3))); }
  /** @param {number} value @param {string[]} units @param {number} base */
  function scaled(value, units, base) {
    var i = 0;
    while (Math.abs(value) >= base && i < units.length - 1) { value /= base; i++; }
    return short(value) + ' ' + units[i];
  }
  /** @param {number} bitsPerSecond */
  function rate(bitsPerSecond) { return scaled(bitsPerSecond, ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'], 1000); }
  /** @param {number} bytes */
  function bytes(bytes) { return scaled(bytes, ['B', 'KB', 'MB', 'GB', 'TB'], 1000); }
  /** @param {number} t @param {boolean} seconds */
  function clock(t, seconds) {
    return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, hourCycle: 'h23' });
  }

  /** Time ticks at whole steps of the clock, at most 6 across the span. @param {number} from @param {number} to */
  function timeTicks(from, to) {
    var steps = [10e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];
    var step = steps.find((s) => (to - from) / s <= 6) || 3600e3;
    var offset = new Date(from).getTimezoneOffset() * 60e3;
    var ticks = [];
    for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) ticks.push(t);
    return { ticks, seconds: step < 60e3 };
  }

  /**
   * Each layer with the line it is drawn to, and (stacked) the one below it; a missing value stacks as 0.
   * @param {ChartSpec} spec
   * @returns {Array<{ layer: Layer, top: number[], bottom: number[] | null }>}
   */
  function stackLayers(spec) {
    /** @type {number[] | null} */
    var below = null;
    return spec.layers.map((layer) => {
      var bottom = spec.stacked ? below : null;
      var top = layer.values.map((v, i) => (v || 0) + (bottom ? bottom[i] || 0 : 0));
      below = top;
      return { layer, top, bottom };
    });
  }

  /**
   * `points` joined into a path; null breaks the line.
   * @param {Array<number | null>} values @param {(i: number) => number} x @param {(v: number) => number} y
   */
  function linePath(values, x, y) {
    var d = '', pen = false;
    values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    return d;
  }

  /** The area between `upper` and `lower` (or the axis). @param {number[]} upper @param {number[] | null} lower @param {(i: number) => number} x @param {(v: number) => number} y */
  function areaPath(upper, lower, x, y) {
    var d = linePath(upper, x, y);
    for (let i = upper.length - 1; i >= 0; i--) d += 'L' + x(i).toFixed(1) + ' ' + y(lower ? lower[i] || 0 : 0).toFixed(1);
    return d + 'Z';
  }

  /** @param {ChartSpec} spec @param {number} width */
  function chartSvg(spec, width) {
    var W = Math.max(240, Math.floor(width)), H = CHART_HEIGHT;
    var n = spec.t.length;
    var stack = stackLayers(spec);
    var max = Math.max(spec.max || 0, spec.floor || 0);
    for (const { layer, top } of stack) top.forEach((v, i) => { if (layer.values[i] !== null && v > max) max = v; });
    (spec.thresholds || []).forEach((t) => { if (t.value * 1.2 > max) max = t.value * 1.2; });
    if (!(max > 0)) max = 1;
    var step = niceStep(max / 4);
    max = Math.ceil(max / step - 1e-9) * step;
    /** @param {number} i */
    var x = (i) => M.left + (n < 2 ? 0 : (i * (W - M.left - M.right)) / (n - 1));
    /** @param {number} v */
    var y = (v) => M.top + (H - M.top - M.bottom) * (1 - v / max);
    var svg = '<svg width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' + H + '" data-plot="' + spec.name + '">';
    for (let v = 0; v <= max + step / 2; v += step) {
      svg += '<line class="grid" x1="' + M.left + '" x2="' + (W - M.right) + '" y1="' + y(v).toFixed(1) + '" y2="' + y(v).toFixed(1) + '"/>';
      svg += '<text class="tick y" x="' + (M.left - 6) + '" y="' + (y(v) + 3.5).toFixed(1) + '" text-anchor="end">' + esc(spec.axis(v)) + '</text>';
    }
    var first = spec.t[0], last = spec.t[n - 1];
    if (first !== undefined && last !== undefined && last > first) {
      const from = first, span = last - first;
      const time = timeTicks(from, last);
      time.ticks.forEach((t) => {
        var tx = M.left + ((t - from) / span) * (W - M.left - M.right);
        svg += '<line class="axis" x1="' + tx.toFixed(1) + '" x2="' + tx.toFixed(1) + '" y1="' + (H - M.bottom) + '" y2="' + (H - M.bottom + 4) + '"/>';
        svg += '<text class="tick x" x="' + tx.toFixed(1) + '" y="' + (H - 6) + '" text-anchor="middle">' + clock(t, time.seconds) + '</text>';
      });
    }
    if (spec.band) {
      svg += '<path class="band" data-series="' + esc(spec.band.label) + '" fill="' + spec.band.color + '" d="' +
        areaPath(spec.band.upper, spec.band.lower, x, y) + '"/>';
    }
    stack.forEach(({ layer, top, bottom }) => {
      var chart = layer.chart ? ' data-chart="' + layer.chart + '"' : '';
      if (spec.stacked) {
        svg += '<path class="area" data-series="' + esc(layer.label) + '"' + chart + ' fill="' + layer.color + '" d="' + areaPath(top, bottom, x, y) + '"/>';
      } else {
        svg += '<path class="line' + (layer.dashed ? ' dashed' : '') + '" data-series="' + esc(layer.label) + '"' + chart + ' stroke="' + layer.color + '" d="' + linePath(layer.values, x, y) + '"/>';
      }
    });
    var highest = stack[stack.length - 1];
    if (spec.total && highest) {
      svg += '<path class="line total" data-series="' + esc(spec.total.label) + '" data-chart="' + spec.total.chart + '" d="' + linePath(highest.top, x, y) + '"/>';
    }
    (spec.thresholds || []).forEach((t) => {
      svg += '<line class="threshold ' + t.className + '" stroke="currentColor" x1="' + M.left + '" x2="' + (W - M.right) + '" y1="' + y(t.value).toFixed(1) + '" y2="' + y(t.value).toFixed(1) + '"/>';
      svg += '<text x="' + (W - M.right) + '" y="' + (y(t.value) - 3).toFixed(1) + '" text-anchor="end">' + t.label + '</text>';
    });
    svg += '<line class="axis" x1="' + M.left + '" x2="' + (W - M.right) + '" y1="' + (H - M.bottom) + '" y2="' + (H - M.bottom) + '"/>';
    svg += '<line class="cursor" visibility="hidden" y1="' + M.top + '" y2="' + (H - M.bottom) + '"/>';
    return { svg: svg + '</svg>', x, index: (/** @type {number} */ px) => Math.max(0, Math.min(n - 1, Math.round(((px - M.left) / (W - M.left - M.right)) * (n - 1)))) };
  }

  /** @param {ChartSpec} spec */
  function legend(spec) {
    /** @type {Array<{ label: string, color: string, line?: boolean }>} */
    var items = spec.layers.map((layer) => ({ label: layer.label, color: layer.color, line: !spec.stacked }));
    if (spec.band) items.push({ label: spec.band.label, color: spec.band.color });
    if (spec.total) items.push({ label: spec.total.label, color: 'var(--fg)', line: true });
    return '<ul class="legend">' + items.map((item) =>
      '<li data-series="' + esc(item.label) + '"><i class="' + (item.line ? 'swatch-line' : 'swatch') + '" style="--color:' + item.color + '"></i>' + esc(item.label) + '</li>').join('') + '</ul>';
  }

  /** The read-out at point `i`: the bucket's time and every series' value. @param {ChartSpec} spec @param {number} i */
  function readout(spec, i) {
    var read = spec.read || spec.axis;
    /** @param {number | null | undefined} value */
    var value = (value) => value === null || value === undefined ? '–' : read(value);
    var rows = spec.layers.map((layer) => ({ label: layer.label, value: value(layer.values[i]) }));
    var band = spec.band;
    if (band) rows.push({ label: band.label, value: read((band.upper[i] || 0) - (band.lower[i] || 0)) });
    if (spec.total) rows.push({ label: spec.total.label, value: read(spec.layers.reduce((sum, layer) => sum + (layer.values[i] || 0), 0)) });
    var t = spec.t[i] || 0;
    return '<div class="when">' + clock(t, true) + ' – ' + clock(t + bucketMs, true) + '</div>' +
      rows.map((row) => '<div><span>' + esc(row.label) + '</span><b>' + esc(row.value) + '</b></div>').join('');
  }

  /** Where each chart's hover cursor is (a bucket's time), so a redraw keeps it. @type {Map<string, number>} */
  var hovered = new Map();
  var bucketMs = 10000;

  /** @param {HTMLElement} plot @param {ChartSpec} spec */
  function drawChart(plot, spec) {
    var drawn = chartSvg(spec, plot.clientWidth);
    plot.innerHTML = drawn.svg + '<div class="readout" hidden></div>';
    var cursor = /** @type {SVGLineElement} */ (plot.querySelector('line.cursor'));
    var box = /** @type {HTMLElement} */ (plot.querySelector('.readout'));
    /** @param {number} i */
    var show = (i) => {
      var cx = drawn.x(i);
      cursor.setAttribute('x1', cx.toFixed(1));
      cursor.setAttribute('x2', cx.toFixed(1));
      cursor.setAttribute('visibility', 'visible');
      box.innerHTML = readout(spec, i);
      box.hidden = false;
      box.style.left = (cx > plot.clientWidth / 2 ? cx - box.offsetWidth - 10 : cx + 10) + 'px';
      hovered.set(spec.name, spec.t[i] || 0);
    };
    plot.onmousemove = (event) => show(drawn.index(event.clientX - plot.getBoundingClientRect().left));
    plot.onmouseleave = () => {
      cursor.setAttribute('visibility', 'hidden');
      box.hidden = true;
      hovered.delete(spec.name);
    };
    var at = hovered.get(spec.name);
    if (at !== undefined && spec.t.indexOf(at) >= 0) show(spec.t.indexOf(at));
  }

  /** @param {ChartSpec} spec */
  function chartBox(spec) {
    return '<figure class="chart" data-chart-name="' + spec.name + '"><h3>' + spec.title + '</h3>' + legend(spec) + '<div class="plot" data-for="' + spec.name + '"></div></figure>';
  }

  /**
   * The charts of a stream's detail, over the selected window.
   * @param {StreamDetail} s
   * @returns {ChartSpec[]}
   */
  function chartSpecs(s) {
    var points = windowMinutes * 60000 / s.bucketMs;
    var series = s.series.slice(-points);
    var byRendition = s.renditionSeries.viewers.slice(-points);
    var t = series.map((p) => p.t);
    var seconds = s.bucketMs / 1000;
    /** @param {number} value */
    var bitRate = (value) => value * 8 / seconds;
    /** @param {number} bps */
    var rateAndBytes = (bps) => rate(bps) + ' · ' + bytes(bps * seconds / 8);
    /** @param {number} v */
    var viewers = (v) => short(v);
    var baseline = series.map((p) => bitRate(p.httpBytes + p.p2pBytes));
    var origin = series.map((p) => bitRate(p.httpBytes));
    return [
      {
        name: 'traffic', title: 'Segment traffic by source', t, stacked: true, axis: rate, read: rateAndBytes, floor: 1000,
        layers: [
          { label: 'from the origin', color: ORIGIN_COLOR, values: series.map((p) => bitRate(p.httpBytes)) },
          { label: 'from peers', color: PEERS_COLOR, values: series.map((p) => bitRate(p.p2pBytes)) },
        ],
        total: { label: 'all segment traffic', chart: 'traffic' },
      },
      {
        name: 'egress', title: 'Origin egress vs HTTP-only', t, axis: rate, read: rateAndBytes, floor: 1000,
        layers: [
          { label: 'HTTP-only baseline', color: BASELINE_COLOR, dashed: true, values: baseline },
          { label: 'origin egress', color: ORIGIN_COLOR, chart: 'egress', values: origin },
        ],
        band: { label: 'saved by peers', color: SAVED_COLOR, lower: origin, upper: baseline },
      },
      {
        name: 'renditions', title: 'Viewers by rendition', t, stacked: true, axis: viewers, floor: 1,
        layers: s.renditionSeries.renditions.map((rendition, j) => ({ label: rendition, color: PALETTE[j % PALETTE.length] || BASELINE_COLOR, values: byRendition.map((row) => row[j] || 0) })),
        total: { label: 'all viewers', chart: 'viewers' },
      },
      {
        name: 'offload', title: 'Offload (bytes from peers)', t, max: 100, axis: (v) => short(v) + ' %',
        layers: [{ label: 'offload', color: PEERS_COLOR, chart: 'offload', values: series.map((p) => p.offloadRatio === null ? null : p.offloadRatio * 100) }],
      },
      {
        name: 'rebuffer', title: 'Rebuffer ratio', t, axis: (v) => short(v) + ' %',
        thresholds: [{ value: 1, className: 'warning', label: '1 %' }, { value: 3, className: 'bad', label: '3 %' }],
        layers: [{ label: 'rebuffer ratio', color: PEERS_COLOR, chart: 'rebuffer', values: series.map((p) => p.rebufferRatio === null ? null : p.rebufferRatio * 100) }],
      },
      {
        name: 'latency', title: 'Live latency', t, axis: (v) => short(v) + ' s',
        layers: [{ label: 'mean latency', color: PEERS_COLOR, chart: 'latency', values: series.map((p) => p.latencyMs === null ? null : p.latencyMs / 1000) }],
      },
      {
        name: 'peers', title: 'Peers per viewer', t, axis: short,
        layers: [{ label: 'peers per viewer', color: PEERS_COLOR, chart: 'peers', values: series.map((p) => p.peersPerViewer) }],
      },
    ];
  }

  /** @type {StreamDetail | null} */
  var shown = null;

  /** @param {StreamDetail} s */
  function render(s) {
    shown = s;
    bucketMs = s.bucketMs;
    var specs = chartSpecs(s);
    var html = '<div class="cards">' +
      card('viewers', 'viewers now', s.viewers) +
      card('offload', 'offload (bytes from peers)', pct(s.offloadRatio)) +
      card('saved', 'origin egress saved', gb(s.egressSavedGb), money(s.egressSavedMoney) + ' at ' + s.pricePerGb + ' / GB') +
      card('rebuffer', 'rebuffer ratio', pct(s.rebufferRatio, 2), 'good < 1 %, bad ≥ 3 %', s.rebufferLevel) +
      card('startup', 'startup p50 / p95', secs(s.startupMs.p50), 'p95 ' + secs(s.startupMs.p95) + ' · ' + s.startupMs.count + ' sessions') +
      card('latency', 'live latency p50', secs(s.latencyMs.p50), 'p95 ' + secs(s.latencyMs.p95)) +
      card('peers', 'peers per viewer', num(s.peersPerViewer, 1)) +
      card('stalls', 'stalls / errors', s.stalls + ' / ' + s.errors) +
      '</div><div class="charts">' + specs.map(chartBox).join('') + '</div>';
    detail.innerHTML = '<h2 title="' + esc(s.stream) + '">' + esc(shortStream(s.stream)) + '</h2>' + html;
    for (const spec of specs) drawChart(/** @type {HTMLElement} */ (detail.querySelector('.plot[data-for="' + spec.name + '"]')), spec);
  }

  var resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (shown) render(shown); }, 100);
  });

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
