/**
 * The dashboard's charts in Chromium: beats for two streams and two renditions posted to
 * `/telemetry` over eight 10 s buckets (the tracker's clock is mocked), then `/dashboard` is opened
 * and its DOM read: every chart has points, axes with tick labels and units, a legend naming its
 * series, a hover read-out with the bucket's values, unscaled text; streams are shown by path with
 * the full URL in a title. Then hostile stream names: text, never markup, and capped.
 * A screenshot is saved for a human to look at (its path is printed); the assertions are on the DOM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { chromiumTest, launchChromium } from '@swarmcast/testkit/chromium';
import type { Page } from 'playwright-core';
import { BUCKET_MS, bucketStart } from '../src/telemetry/aggregate.ts';
import { startTracker, type RunningTracker } from './support/tracker-fixture.ts';

const SAMPLE = 'https://cdn.example/live/sample/master.m3u8';
const OTHER = 'https://cdn.example/live/other/master.m3u8';
const ROUNDS = 8;
/** Per session and bucket: 1 Mbit/s from the origin, and r × 0.5 Mbit/s from peers in round r. */
const HTTP_PER_ROUND = 1_250_000;
const P2P_PER_ROUND_STEP = 625_000;

interface Viewer {
  sid: string;
  stream: string;
  rendition: string;
  joins: number;
}

const VIEWERS: Viewer[] = [
  { sid: 'sample-720p-a', stream: SAMPLE, rendition: '720p', joins: 0 },
  { sid: 'sample-360p-b', stream: SAMPLE, rendition: '360p', joins: 0 },
  { sid: 'sample-360p-c', stream: SAMPLE, rendition: '360p', joins: 2 },
  { sid: 'other-360p-dd', stream: OTHER, rendition: '360p', joins: 0 },
];

function beat(sid: string, seq: number, stream: string, fields: Partial<Beat> = {}): Beat {
  return {
    v: 1, sid, seq, stream, http: 0, p2p: 0, up: 0, peers: 1, stalls: 0, stallMs: 0, watchMs: 10_000,
    startupMs: 900, latencyMs: 8000, errors: 0, rendition: '360p', ...fields,
  };
}

/** A viewer's beat in round `round`: cumulative counters, 10 s of watching a round. */
function beatOf(viewer: Viewer, round: number): Beat {
  const rounds = round - viewer.joins;
  let p2p = 0;
  for (let r = viewer.joins + 1; r <= round; r++) p2p += r * P2P_PER_ROUND_STEP;
  return beat(viewer.sid, rounds + 1, viewer.stream, {
    rendition: viewer.rendition,
    watchMs: (rounds + 1) * 10_000,
    http: rounds * HTTP_PER_ROUND,
    p2p,
    peers: 2,
  });
}

async function post(tracker: RunningTracker, beats: Beat[]): Promise<void> {
  const response = await fetch(`${tracker.httpUrl}/telemetry`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ beats }) });
  assert.equal(response.status, 204, await response.text());
}

/** The tracker's clock, 5 s into a bucket, moved one bucket per round. */
function mockClock(t: TestContext, start: number): { set(ms: number): void } {
  let now = start;
  t.mock.method(Date, 'now', () => now);
  return { set: (ms) => { now = ms; } };
}

interface ChartProbe {
  legend: string[];
  yTicks: string[];
  xTicks: string[];
  /** Points (M/L commands) of each series path, by its data-series. */
  points: Record<string, number>;
  svgSize: { width: number; height: number; viewBox: string };
}

/** Strings, so the test's TypeScript transform (which adds helpers like __name) never touches page code. */
const CHART_PROBE = `(name) => {
  const figure = document.querySelector('figure[data-chart-name="' + name + '"]');
  if (!figure) return null;
  const texts = (selector) => [...figure.querySelectorAll(selector)].map((e) => e.textContent);
  const points = {};
  for (const path of figure.querySelectorAll('path[data-series]')) points[path.dataset.series] = (path.getAttribute('d').match(/[ML]/g) || []).length;
  const svg = figure.querySelector('svg');
  return {
    legend: texts('.legend li'), yTicks: texts('text.tick.y'), xTicks: texts('text.tick.x'), points,
    svgSize: { width: svg.clientWidth, height: svg.clientHeight, viewBox: svg.getAttribute('viewBox') },
  };
}`;

/** Every chart text's transform to the screen: a scale of exactly 1 both ways means no stretched text. */
const TEXT_SCALES = `[...document.querySelectorAll('.plot svg text')].map((text) => { const m = text.getScreenCTM(); return [m.a, m.d, m.b, m.c]; })`;

/** The x of point `index` of a chart's series path, in page coordinates: its SVG is drawn at 1:1. */
async function pointX(page: Page, chart: string, series: string, index: number): Promise<{ x: number; y: number }> {
  return page.evaluate(`(() => {
    const svg = document.querySelector('figure[data-chart-name="${chart}"] svg');
    const d = svg.querySelector('path[data-series="${series}"]').getAttribute('d');
    const xs = [...d.matchAll(/[ML]([\\d.]+) /g)].map((m) => Number(m[1]));
    const box = svg.getBoundingClientRect();
    return { x: box.left + xs[${index}], y: box.top + 40 };
  })()`);
}

async function readoutAt(page: Page, chart: string, series: string, index: number): Promise<string[]> {
  const { x, y } = await pointX(page, chart, series, index);
  await page.mouse.move(x, y);
  const readout = page.locator(`figure[data-chart-name="${chart}"] .readout`);
  await readout.waitFor({ state: 'visible', timeout: 10_000 });
  return readoutRows(page, chart);
}

/** The read-out's lines: its time span, then `series: value`. */
async function readoutRows(page: Page, chart: string): Promise<string[]> {
  return page.locator(`figure[data-chart-name="${chart}"] .readout div`).evaluateAll((lines) => lines.map((line) => (line.children.length > 0 ? [...line.children].map((cell) => cell.textContent).join(': ') : (line.textContent ?? ''))));
}

const updated = (page: Page, since: number) => page.waitForFunction(`Number(document.body.dataset.updated || 0) > ${since}`, undefined, { timeout: 30_000 });

await chromiumTest('the dashboard charts traffic by source, egress against HTTP-only and viewers by rendition, readably', { timeout: 120_000 }, async (t) => {
  const tracker = await startTracker();
  t.after(() => tracker.close());
  const start = bucketStart(Date.now()) - (ROUNDS + 2) * BUCKET_MS + 5000;
  const clock = mockClock(t, start);
  for (let round = 0; round < ROUNDS; round++) {
    clock.set(start + round * BUCKET_MS);
    await post(tracker, VIEWERS.filter((v) => v.joins <= round).map((v) => beatOf(v, round)));
  }
  clock.set(start + ROUNDS * BUCKET_MS);

  const { browser, close } = await launchChromium();
  t.after(close);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  await page.goto(`${tracker.httpUrl}/dashboard`);
  await updated(page, 0);

  const rows = await page.locator('#streams tr td:first-child').evaluateAll((cells) => cells.map((cell) => [cell.textContent, cell.getAttribute('title')]));
  assert.deepEqual(rows, [['/live/sample/master.m3u8', SAMPLE], ['/live/other/master.m3u8', OTHER]], 'by path, the full URL on hover; most watched first');
  assert.equal(await page.locator('#detail h2').textContent(), '/live/sample/master.m3u8');
  assert.equal(await page.locator('#detail h2').getAttribute('title'), SAMPLE);

  const probe = async (name: string) => (await page.evaluate(`(${CHART_PROBE})(${JSON.stringify(name)})`)) as ChartProbe | null;
  const expected: Record<string, { legend: string[]; unit: RegExp }> = {
    traffic: { legend: ['from the origin', 'from peers', 'all segment traffic'], unit: /^\d+(\.\d+)? (bit|kbit|Mbit)\/s$/ },
    egress: { legend: ['HTTP-only baseline', 'origin egress', 'saved by peers'], unit: /^\d+(\.\d+)? (bit|kbit|Mbit)\/s$/ },
    renditions: { legend: ['360p', '720p', 'all viewers'], unit: /^\d+(\.\d+)?$/ },
  };
  for (const [name, { legend, unit }] of Object.entries(expected)) {
    const chart = await probe(name);
    assert.ok(chart, `a ${name} chart`);
    assert.deepEqual(chart.legend, legend, `${name}: the legend names its series`);
    for (const [series, count] of Object.entries(chart.points)) assert.ok(count > 1, `${name}: ${series} has ${count} points`);
    assert.deepEqual(Object.keys(chart.points).sort(), [...legend].sort(), `${name}: one drawn path per legend entry`);
    assert.ok(chart.yTicks.length >= 3, `${name}: y ticks ${chart.yTicks}`);
    for (const tick of chart.yTicks.slice(1)) assert.match(tick, unit, `${name}: y tick with its unit`);
    assert.ok(chart.xTicks.length >= 2 && chart.xTicks.every((tick) => /^\d\d:\d\d$/.test(tick)), `${name}: time ticks ${chart.xTicks}`);
    assert.equal(chart.svgSize.viewBox, `0 0 ${chart.svgSize.width} ${chart.svgSize.height}`, `${name}: drawn at its own pixel size`);
  }
  assert.equal(await page.locator('[preserveAspectRatio="none"]').count(), 0);
  const scales = (await page.evaluate(TEXT_SCALES)) as number[][];
  assert.ok(scales.length > 20, 'chart texts found');
  for (const [a, d, b, c] of scales) assert.deepEqual([a, d, b, c], [1, 1, 0, 0], 'chart text is neither stretched nor skewed');

  // Round 4's bucket: the 10-minute window's last point is round 7's bucket, 3 before it is round 4's.
  const last = 60 - 1;
  const round4 = last - 3;
  const round4Time = new Date(bucketStart(start + 4 * BUCKET_MS)).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const traffic = await readoutAt(page, 'traffic', 'all segment traffic', round4);
  console.log(`traffic read-out: ${JSON.stringify(traffic)}`);
  // Three viewers: 1 Mbit/s each from the origin, 4 × 0.5 Mbit/s each from peers (10 s buckets).
  assert.match(traffic[0]!, new RegExp(`^${round4Time} – `));
  assert.deepEqual(traffic.slice(1), ['from the origin: 3 Mbit/s · 3.75 MB', 'from peers: 6 Mbit/s · 7.5 MB', 'all segment traffic: 9 Mbit/s · 11.3 MB']);
  const egress = await readoutAt(page, 'egress', 'origin egress', round4);
  assert.deepEqual(egress.slice(1), ['HTTP-only baseline: 9 Mbit/s · 11.3 MB', 'origin egress: 3 Mbit/s · 3.75 MB', 'saved by peers: 6 Mbit/s · 7.5 MB']);
  const renditions = await readoutAt(page, 'renditions', 'all viewers', round4);
  assert.deepEqual(renditions.slice(1), ['360p: 2', '720p: 1', 'all viewers: 3']);
  const cursor = page.locator('figure[data-chart-name="renditions"] line.cursor');
  assert.equal(await cursor.getAttribute('visibility'), 'visible');
  // A redraw (the page polls every 3 s) keeps the cursor where it was.
  await updated(page, Date.now());
  assert.deepEqual((await readoutRows(page, 'renditions')).slice(1), ['360p: 2', '720p: 1', 'all viewers: 3']);
  // Taken with the read-out showing, for a human to look at.
  const dir = mkdtempSync(join(tmpdir(), 'swarmcast-dashboard-'));
  const screenshot = join(dir, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);
  console.log(`dashboard screenshot: ${screenshot}`);

  await page.mouse.move(1, 1);
  assert.equal(await page.locator('figure[data-chart-name="renditions"] .readout').isVisible(), false, 'the read-out leaves with the mouse');

  await page.locator('#streams tr', { hasText: '/live/other/' }).click();
  await page.waitForFunction(`document.querySelector('#detail h2')?.textContent === '/live/other/master.m3u8'`, undefined, { timeout: 30_000 });
  assert.deepEqual((await probe('renditions'))?.legend, ['360p', 'all viewers'], 'the selected stream\'s renditions only');
});

await chromiumTest('hostile stream names are shown as text, shortened; the streams held and renditions charted are capped', { timeout: 120_000 }, async (t) => {
  const tracker = await startTracker({ telemetryMaxStreams: 4 });
  t.after(() => tracker.close());
  const long = `https://evil.example/${'a'.repeat(200)}/master.m3u8`;
  const hostile = ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', long];
  const ladder = 'https://cdn.example/live/ladder/master.m3u8';
  // Six streams into a store of four: the two benign ones, first seen and never verified, are evicted.
  const names = ['https://cdn.example/live/one/master.m3u8', 'https://cdn.example/live/two/master.m3u8', ...hostile];
  for (const [i, stream] of names.entries()) await post(tracker, [beat(`hostile-sid-${i}`, 1, stream)]);
  // Ten renditions, one viewer each, the first with the most watch time: the last seen stream, so the one shown first.
  await post(tracker, Array.from({ length: 10 }, (_, i) => beat(`ladder-sid-${i}`, 1, ladder, { rendition: `r${i}`, watchMs: i === 0 ? 20_000 : 10_000 })));

  const { browser, close } = await launchChromium();
  t.after(close);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
  await page.goto(`${tracker.httpUrl}/dashboard`);
  await updated(page, 0);

  assert.equal(await page.locator('#detail h2').getAttribute('title'), ladder);
  const legend = await page.locator('figure[data-chart-name="renditions"] .legend li').allTextContents();
  assert.deepEqual(legend, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', '(other)', 'all viewers'], 'eight renditions charted, the rest summed');
  const rows = await page.locator('#streams tr td:first-child').evaluateAll((cells) => cells.map((cell) => [cell.textContent, cell.getAttribute('title')]));
  assert.equal(rows.length, 4, 'TELEMETRY_MAX_STREAMS bounds the list');
  const byTitle = new Map(rows.map(([text, title]) => [title, text]));
  assert.equal(byTitle.get(hostile[0]!), hostile[0], 'markup in a name is shown as its text');
  assert.equal(byTitle.get(hostile[1]!), hostile[1]);
  const shown = byTitle.get(long);
  assert.ok(shown && shown.length <= 60 && shown.startsWith('/aaaa') && shown.endsWith('/master.m3u8') && shown.includes('…'), `shortened: ${shown}`);
  for (const stream of hostile) {
    await page.locator('#streams tr').filter({ has: page.locator(`td[title="${stream.replaceAll('"', '\\"')}"]`) }).click();
    await page.waitForFunction(`document.querySelector('#detail h2')?.getAttribute('title') === ${JSON.stringify(stream)}`, undefined, { timeout: 30_000 });
  }
  assert.equal(await page.locator('#streams script, #streams img, #detail script, #detail img').count(), 0, 'no element made from a name');
  assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script ran');
  // Positive control: the same page does run a script it is given as markup.
  await page.evaluate(`document.body.insertAdjacentHTML('beforeend', ${JSON.stringify(hostile[1])})`);
  await page.waitForFunction('window.__pwned === 2', undefined, { timeout: 10_000 });
});
