// What a real-browser viewer (`event --browsers`) loads: a page holding the player SDK's own
// `<script>` bundle and a small script that starts a player and reports on it, served by a tiny
// HTTP server of the CLI's on 127.0.0.1 (exposed to viewers on hosts of their own like the origin).
// A real HTTP page matters: Chromium's local-network checks let a page on 127.0.0.1 (or on the
// test network's private gateway) reach the origin and tracker there, not a page it cannot place.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FROM_SOURCES } from '../process-entries.ts';

/** The SDK's IIFE bundle (global `Swarmcast`), as the build names it in the SDK and in our dist/. */
export const SDK_BUNDLE = 'swarmcast.min.js';

/**
 * The player SDK's bundle: the workspace's build of it from the sources, the copy
 * scripts/build.ts put next to the CLI in the published package.
 */
export function sdkBundlePath(): string {
  if (!FROM_SOURCES) return fileURLToPath(new URL(`./${SDK_BUNDLE}`, import.meta.url));
  let path: string | null = null;
  try {
    path = createRequire(import.meta.url).resolve(`@swarmcast/player-sdk/${SDK_BUNDLE}`);
  } catch {
    // not built: said below
  }
  if (path === null || !existsSync(path)) throw new Error(`--browsers plays the player SDK's ${SDK_BUNDLE}, which is not built: build the player SDK first: npm run build -w player-sdk`);
  return path;
}

/**
 * `window.swarmcastViewer`: `start(options)` creates the player; `report()` returns its
 * `stats()` now, with what the stats do not hold, drained since the last report: each HTTP segment
 * with why the page thinks it went to the origin (before playback started: startup; no peer
 * connected: no-peers; a coordinated seeder: seed; else deadline), peer connections made, the
 * media sequence range loaded (live segment URIs are `<sequence>.<ext>`), time in each seeding role.
 * Plain JavaScript: it runs as is in the page.
 */
const VIEWER_SCRIPT = `(() => {
  const sequenceOf = (url) => {
    const match = /(\\d+)\\.[a-z0-9]+$/i.exec(new URL(url).pathname);
    return match ? Number(match[1]) : null;
  };
  const reasonNow = (stats) =>
    stats.startupMs === null ? 'startup' : stats.peers === 0 ? 'no-peers' : stats.seeding && stats.seeding.role === 'seeder' ? 'seed' : 'deadline';
  let player = null;
  let startedAt = 0;
  let connectMs = null;
  let peerConnections = 0;
  let firstSequence = null;
  let lastSequence = null;
  let fetches = [];
  let errors = [];
  const roleMs = { seeder: 0, backup: 0, relay: 0, none: 0 };
  window.swarmcastViewer = {
    start(options) {
      startedAt = performance.now();
      player = Swarmcast.createPlayer(document.getElementById('v'), options);
      player.on('segment', (event) => {
        const sequence = sequenceOf(event.url);
        if (sequence === null) return;
        firstSequence = firstSequence === null ? sequence : Math.min(firstSequence, sequence);
        lastSequence = lastSequence === null ? sequence : Math.max(lastSequence, sequence);
        if (event.source === 'http') fetches.push({ sequence, reason: reasonNow(player.stats()), atMs: Date.now() });
      });
      player.on('peer', (event) => {
        if (event.state !== 'connected') return;
        peerConnections++;
        if (connectMs === null) connectMs = performance.now() - startedAt;
      });
      player.on('stats', (stats) => {
        roleMs[stats.seeding ? stats.seeding.role : 'none'] += options.statsIntervalMs;
      });
      player.on('error', (event) => errors.push(event.code + ': ' + event.message));
    },
    report() {
      const drained = { fetches, errors };
      fetches = [];
      errors = [];
      return { stats: player.stats(), peerConnections, connectMs, firstSequence, lastSequence, roleMs: { ...roleMs }, ...drained };
    },
  };
})();`;

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Swarmcast load-test viewer</title>
<video id="v" muted playsinline></video>
<script src="/${SDK_BUNDLE}"></script>
<script>${VIEWER_SCRIPT}</script>
`;

export interface PageServer {
  /** Its port on 127.0.0.1. */
  port: number;
  close(): Promise<void>;
}

/** Serves the viewer page at `/` and the SDK's bundle beside it, on 127.0.0.1. */
export async function startPageServer(): Promise<PageServer> {
  const bundle = readFileSync(sdkBundlePath());
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else if (path === `/${SDK_BUNDLE}`) response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
