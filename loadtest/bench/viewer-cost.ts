// What one viewer costs this machine: a virtual viewer loaded as TypeScript through tsx (as before)
// or as the prebuilt bundle the event scenario runs, and a real browser viewer (`event --browsers`:
// a Chromium page playing the player SDK's bundle). CPU seconds to start (launch to ready), CPU
// seconds per minute of playing, and memory. Each viewer plays the live sample alone against a
// tracker and origin started here (no WebRTC: one viewer has nobody to meet). A browser's figures
// are its whole Chromium's (browser, renderer, GPU and utility processes: everything this bench
// process started), its memory their proportional set size (shared pages counted once).
//
//   node --conditions=swarmcast-source --import tsx loadtest/bench/viewer-cost.ts [--runs 3] [--seconds 20]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildOrigin } from '@swarmcast/origin';
import { buildTracker } from '@swarmcast/tracker';
import { fetchText } from '../src/hls-playlists.ts';
import { parseMasterPlaylist } from '../src/master-playlist.ts';
import { descendantPids, readCpuSec, readPssBytes, readRssBytes } from '../src/proc-stats.ts';
import { percentiles, round } from '../src/samples.ts';
import { startPageServer } from '../src/viewer/browser-page.ts';
import { BrowserFleet } from '../src/viewer/browser-viewer.ts';
import type { PeerOptions } from '../src/viewer/p2pml-viewer.ts';
import { viewerBundle } from '../src/viewer/viewer-bundle.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const seconds = Number(values.seconds);

const origin = buildOrigin({ logger: false });
const tracker = await buildTracker({ logger: false });
const originUrl = (await origin.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
const trackerUrl = (await tracker.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws').replace(/\/$/, '');
const masterUrl = `${originUrl}/live/sample/master.m3u8`;
const variant = parseMasterPlaylist(await fetchText(masterUrl), masterUrl)[0]!;
const options: PeerOptions = {
  trackers: [trackerUrl],
  manifestUrl: masterUrl,
  live: { playlistUrl: variant.url, level: variant.level, liveLatency: 12, httpFallbackBuffer: 3, policy: 'peer-first', coordination: true, statsIntervalMs: 1000 },
};
const source = fileURLToPath(new URL('../src/viewer/p2pml-viewer.ts', import.meta.url));
const launchers = {
  'tsx (TypeScript per process)': ['--conditions=p2pml:core-as-bundle', '--conditions=swarmcast-source', '--import', import.meta.resolve('tsx'), source],
  'bundle (esbuild, once per run)': [await viewerBundle()],
};

interface Cost { startCpu: number; playCpuPerMin: number; rssMb: number; readyMs: number }

async function measure(args: string[]): Promise<Cost> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...args, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve) => lines.on('line', (line) => line.includes('"ready"') && resolve()));
  const readyMs = performance.now() - startedAt;
  const startCpu = readCpuSec(child.pid!);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const playCpuPerMin = ((readCpuSec(child.pid!) - startCpu) * 60) / seconds;
  const rssMb = readRssBytes(child.pid!) / 1e6;
  child.stdin.end();
  await new Promise((resolve) => child.once('close', resolve));
  return { startCpu, playCpuPerMin, rssMb, readyMs };
}

/** `read` summed over the processes below this one: the browser's (the bench starts no other). */
const overBrowser = (read: (pid: number) => number) =>
  descendantPids(process.pid).reduce((sum, pid) => {
    try {
      return sum + read(pid);
    } catch {
      return sum; // a process that ended between the listing and the read
    }
  }, 0);

/** A browser viewer as `event --browsers` opens one (a Chromium of its own here: the first of its fleet). */
async function measureBrowser(): Promise<Cost> {
  const pages = await startPageServer();
  const fleet = await BrowserFleet.create();
  try {
    const startedAt = performance.now();
    const player = { src: masterUrl, trackers: [trackerUrl], level: 0, liveLatency: 12, httpFallbackBuffer: 3, rtcConfig: { iceServers: [] } };
    const viewer = await fleet.open('browser', `http://127.0.0.1:${pages.port}/`, player);
    const readyMs = performance.now() - startedAt;
    const startCpu = overBrowser(readCpuSec);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const playCpuPerMin = ((overBrowser(readCpuSec) - startCpu) * 60) / seconds;
    const pssMb = overBrowser(readPssBytes) / 1e6;
    const played = viewer.latestStats();
    if (!played || played.segmentsLoaded === 0) throw new Error(`the browser viewer loaded no segment: ${viewer.describe()}`);
    await viewer.close();
    return { startCpu, playCpuPerMin, rssMb: pssMb, readyMs };
  } finally {
    await fleet.close();
    await pages.close();
  }
}

const rows: string[] = [
  '| viewer | start CPU s (min / median) | ready ms (min / median) | CPU s per minute playing (min / median) | memory MB: RSS; browser: PSS of its processes (min / median) |',
  '|---|---|---|---|---|',
];
const measures: Record<string, () => Promise<Cost>> = {
  ...Object.fromEntries(Object.entries(launchers).map(([name, args]) => [name, () => measure(args)])),
  'browser (Chromium page, the SDK bundle)': measureBrowser,
};
for (const [name, measureOnce] of Object.entries(measures)) {
  const costs: Cost[] = [];
  for (let run = 0; run < runs; run++) costs.push(await measureOnce());
  const cell = (pick: (c: Cost) => number, digits = 2) => {
    const p = percentiles(costs.map(pick));
    return `${round(p.min, digits)} / ${round(p.p50, digits)}`;
  };
  rows.push(`| ${name} | ${cell((c) => c.startCpu)} | ${cell((c) => c.readyMs, 0)} | ${cell((c) => c.playCpuPerMin)} | ${cell((c) => c.rssMb, 0)} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
await Promise.all([origin.close(), tracker.close()]);
