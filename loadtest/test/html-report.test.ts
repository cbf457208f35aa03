// The HTML report renders by itself in a real browser: no network, charts drawn with size.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumTest, launchChromium } from '@swarmcast/testkit/chromium';
import { runCli, startOrigin } from './support/local-stack.ts';

await chromiumTest('the HTML report is self-contained and its SVG charts render in Chromium', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-report-'));
  const origin = await startOrigin();
  t.after(() => origin.close());
  const report = join(dir, 'report.html');
  const run = await runCli(['origin', '--origin', origin.url, '--viewers', '20', '--duration', '3', '--ramp', '1', '--report', report]);
  assert.equal(run.code, 0, run.stderr);
  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /<script|<link|src="http|href="http/, 'nothing to fetch');

  const { browser, close } = await launchChromium();
  t.after(close);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(report).href);
  const charts = await page.locator('figure svg').all();
  assert.equal(charts.length, 4, 'requests/s, throughput, latency and viewers');
  for (const chart of charts) {
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, `chart size ${JSON.stringify(box)}`);
    assert.ok((await chart.locator('.series').count()) > 0, 'a drawn series');
  }
  assert.ok((await page.locator('svg polyline.series').first().getAttribute('points'))!.split(' ').length > 1, 'a line with several points');
  assert.equal(await page.locator('table tr').count(), 9, 'one row per figure');
  await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  assert.deepEqual(requests.filter((url) => !url.startsWith('file:')), []);
  t.diagnostic(`screenshot: ${join(dir, 'report.png')}`);
});
