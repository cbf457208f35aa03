// Investigation only (not committed): where a P2P viewer's startup time goes, vs HTTP-only.
import { launchChromium, openViewer, sleep, startStack } from './harness.ts';

const stack = await startStack();
const browser = await launchChromium();
const trace = `(() => {
  const t0 = performance.now();
  window.__trace = [];
  const mark = (name) => window.__trace.push([name, Math.round(performance.now() - t0)]);
  const poll = setInterval(() => {
    const h = window.player && window.player.hls;
    if (!h) return;
    clearInterval(poll);
    mark('player');
    const v = document.getElementById('v');
    for (const e of ['loadedmetadata', 'canplay', 'playing']) v.addEventListener(e, () => mark('video:' + e), { once: true });
    for (const e of ['hlsManifestLoaded', 'hlsLevelLoaded', 'hlsFragLoading', 'hlsFragLoaded', 'hlsFragBuffered']) h.on(e, (_n, d) => mark(e + (d && d.frag ? ' sn=' + d.frag.sn : '')));
    window.player.on('peer', (p) => mark('peer:' + p.state));
    window.player.on('segment', (s) => mark('segment:' + s.source));
  }, 1);
})()`;
for (const mode of ['http', 'p2p-first', 'p2p-second'] as const) {
  const options = mode === 'http' ? { p2p: false } : { trackers: [stack.trackerUrl] };
  const viewer = await openViewer(browser, stack, { level: 0, ...options }, { initScript: trace });
  await sleep(6000);
  const stats = await viewer.stats();
  const events = await viewer.page.evaluate(() => (window as unknown as { __trace: Array<[string, number]> }).__trace);
  console.log(mode, 'startupMs', stats.startupMs, 'seeding', JSON.stringify(stats.seeding), 'p2p', stats.p2pBytes, 'http', stats.httpBytes);
  console.log('  ', events.slice(0, 16).map(([n, t]) => `${t}:${n}`).join('  '));
  const resources = await viewer.page.evaluate(() => performance.getEntriesByType('resource').map((e) => { const r = e as PerformanceResourceTiming; return `${r.name.split('/').slice(-2).join('/').slice(0, 30)} start ${Math.round(r.startTime)} req ${Math.round(r.requestStart)} resp ${Math.round(r.responseStart)} end ${Math.round(r.responseEnd)}`; }));
  console.log('   ', resources.slice(0, 10).join('\n    '));
  if (mode === 'http') await viewer.close();
}
await browser.close();
await stack.close();
process.exit(0);
