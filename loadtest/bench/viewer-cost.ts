// What one virtual viewer costs this machine, loaded as TypeScript through tsx (as before) or as
// the prebuilt bundle the event scenario now runs: CPU seconds to start (process start to ready),
// CPU seconds per minute of playing, and resident memory. Each viewer plays the live sample alone
// against a tracker and origin started here (no WebRTC: one viewer has nobody to meet).
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
import { readCpuSec, readRssBytes } from '../src/proc-stats.ts';
import { percentiles, round } from '../src/samples.ts';
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

const rows: string[] = ['| viewer | start CPU s (min / median) | ready ms (min / median) | CPU s per minute playing (min / median) | RSS MB (min / median) |', '|---|---|---|---|---|'];
for (const [name, args] of Object.entries(launchers)) {
  const costs: Cost[] = [];
  for (let run = 0; run < runs; run++) costs.push(await measure(args));
  const cell = (pick: (c: Cost) => number, digits = 2) => {
    const p = percentiles(costs.map(pick));
    return `${round(p.min, digits)} / ${round(p.p50, digits)}`;
  };
  rows.push(`| ${name} | ${cell((c) => c.startCpu)} | ${cell((c) => c.readyMs, 0)} | ${cell((c) => c.playCpuPerMin)} | ${cell((c) => c.rssMb, 0)} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
await Promise.all([origin.close(), tracker.close()]);
