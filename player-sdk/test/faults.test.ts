/**
 * Faults with real processes, in headless Chromium against the real origin and tracker
 * (in-process, loopback-only namespace, as e2e.test.ts): the origin unreachable for 10 s during
 * a live event; peers that disconnect mid-transfer or upload slowly.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { openViewer, startStack, type Stack, type Viewer, type ViewerOptions } from './harness.ts';
import type { SwarmcastStats } from '../src/stats.ts';

/**
 * A TCP relay in front of the origin. `cut()` drops every open connection and answers every new
 * one with a bare 503 until `restore()`: playlists and segments alike fail, as when an origin
 * falls over behind its load balancer. (A refused connection would be the other shape, but in a
 * loopback-only namespace Chromium's navigator.onLine is false, and hls.js then treats status 0
 * as "offline" and waits for an `online` event that never comes: a namespace artefact.)
 */
class OriginLink {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private constructor(private readonly server: Server) {}

  static async open(target: number): Promise<OriginLink> {
    const server = createServer();
    const link = new OriginLink(server);
    server.on('connection', (client) => {
      link.track(client);
      if (link.down) {
        client.on('error', () => client.destroy());
        client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(target, '127.0.0.1');
      link.track(upstream);
      for (const socket of [client, upstream]) {
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Sample {
  /** Milliseconds since the fault began (negative before). */
  at: number;
  currentTime: number;
  stats: SwarmcastStats;
}

/**
 * Records every `segment` event of the page with its time (Date.now()), and the URL of every
 * fragment hls.js itself received (whatever transport delivered it).
 */
async function recordSegments(viewer: Viewer): Promise<void> {
  await viewer.page.evaluate(() => {
    const w = window as unknown as {
      segments: unknown[];
      fragments: string[];
      player: { on(name: string, f: (e: object) => void): void; hls: { on(e: string, f: (e: string, d: { frag: { url: string } }) => void): void } };
    };
    w.segments = [];
    w.fragments = [];
    w.player.on('segment', (event) => w.segments.push({ ...event, at: Date.now() }));
    w.player.hls.on('hlsFragLoaded', (_event, data) => w.fragments.push(data.frag.url));
    const errors: string[] = [];
    (w as unknown as { hlsErrors: string[] }).hlsErrors = errors;
    (w.player.hls as unknown as { on(e: string, f: (e: string, d: HlsErrorData) => void): void }).on('hlsError', (_event, data) =>
      errors.push(`${data.details} sn ${data.frag?.sn ?? '-'} status ${data.response?.code ?? '-'} action ${data.errorAction?.action ?? '-'} retry ${data.errorAction?.retryCount ?? '-'}`),
    );
  });
}

interface HlsErrorData {
  details: string;
  frag?: { sn: number | string };
  response?: { code: number };
  errorAction?: { action: number; retryCount?: number };
}

/** What hls.js says it is doing: for the message of an assertion on a viewer that stopped loading. */
const hlsStateOf = (viewer: Viewer): Promise<string> =>
  viewer.page.evaluate(() => {
    const w = window as unknown as {
      hlsErrors: string[];
      player: { hls: { loadLevel: number; currentLevel: number; streamController: { state: string; fragCurrent?: { sn: number } | null } } };
    };
    const { hls } = w.player;
    return `hls.js ${hls.streamController.state} on frag ${hls.streamController.fragCurrent?.sn ?? '-'}, level ${hls.currentLevel} (load ${hls.loadLevel}); errors: ${w.hlsErrors.slice(-8).join('; ') || 'none'}`;
  });

interface SegmentRecord {
  url: string;
  source: 'http' | 'p2p';
  bytes: number;
  peerId?: string;
  at: number;
}

const fragmentsOf = (viewer: Viewer) => viewer.page.evaluate(() => (window as unknown as { fragments: string[] }).fragments);
const segmentsOf = (viewer: Viewer) => viewer.page.evaluate(() => (window as unknown as { segments: SegmentRecord[] }).segments);
const errorsOf = (viewer: Viewer) =>
  viewer.page.evaluate(() => (window as unknown as { swarmcastErrors: Array<{ code: string; message: string; fatal: boolean }> }).swarmcastErrors);

/** Samples every viewer about once a second for `ms`, timestamps relative to `zero`. */
async function sample(viewers: Viewer[], ms: number, zero: number, into: Sample[][]): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const tick = sleep(1000);
    const rows = await Promise.all(viewers.map(async (viewer) => ({ currentTime: await viewer.currentTime(), stats: await viewer.stats() })));
    const at = Date.now() - zero;
    rows.forEach((row, i) => {
      into[i]!.push({ at, ...row });
    });
    await tick;
  }
}


/** p2p-media-loader command frames start with `cstr`/`dstr`; any other binary message is segment data. */
const IS_COMMAND = `(bytes) => bytes.length >= 4 && [0x63, 0x64].includes(bytes[0]) && bytes[1] === 0x73 && bytes[2] === 0x74 && bytes[3] === 0x72`;
const bytesOf = `(data) => data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null`;

/** A slow uploader: every message on its data channels leaves 300 ms after the previous one (order kept). */
const SLOW_UPLOADS_SCRIPT = `(() => {
  const send = RTCDataChannel.prototype.send;
  const queues = new WeakMap();
  window.__delayedChunks = 0;
  RTCDataChannel.prototype.send = function (data) {
    const bytes = (${bytesOf})(data);
    if (bytes && bytes.length > 64 && !(${IS_COMMAND})(bytes)) window.__delayedChunks++;
    const copy = bytes ? new Uint8Array(bytes) : data;
    const previous = queues.get(this) ?? Promise.resolve();
    const next = previous.then(() => new Promise((resolve) => setTimeout(resolve, 300))).then(() => {
      try { if (this.readyState === 'open') send.call(this, copy); } catch {}
    });
    queues.set(this, next);
  };
})();`;

/** A peer that drops out mid-transfer: it closes a data channel right after its second chunk of segment data. */
const DISCONNECTING_UPLOADS_SCRIPT = `(() => {
  const send = RTCDataChannel.prototype.send;
  const sent = new WeakMap();
  window.__cutChannels = 0;
  RTCDataChannel.prototype.send = function (data) {
    const bytes = (${bytesOf})(data);
    const result = send.call(this, data);
    if (bytes && bytes.length > 64 && !(${IS_COMMAND})(bytes)) {
      const count = (sent.get(this) ?? 0) + 1;
      sent.set(this, count);
      if (count === 2) {
        window.__cutChannels++;
        setTimeout(() => this.close(), 0);
      }
    }
    return result;
  };
})();`;

/** Counts the segment data a page receives from peers (`window.__receivedChunks`): whom the honest viewer asked. */
const RECEIVED_CHUNKS_SCRIPT = `(() => {
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  window.__receivedChunks = 0;
  const count = (data) => {
    const bytes = (${bytesOf})(data);
    if (bytes && bytes.length > 64 && !(${IS_COMMAND})(bytes)) window.__receivedChunks++;
  };
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() { return onmessage.get.call(this); },
    set(listener) { onmessage.set.call(this, listener && ((event) => { count(event.data); return listener.call(this, event); })); },
  });
})();`;

const OUTAGE_MS = 10_000;
const PEER_FAULT_SESSION_MS = 40_000;
/** How much longer the session may run when a fault has not been met yet (see the test). */
const PEER_FAULT_EXTRA_MS = 50_000;
/** The faulty peers play 7 s (3.5 segments) ahead of the honest viewer, inside the origin's 16 s live window. */
const FAULTY_PEER_LATENCY_SEC = 6;
const HONEST_VIEWER_LATENCY_SEC = 13;
/** Long enough for the faulty peers to hold the honest viewer's first segments and to meet each other. */
const FAULTY_PEERS_HEAD_START_MS = 5000;
/**
 * Seconds between announces, each with fresh offers to peers not yet connected: on a loaded machine
 * a first WebRTC attempt can fail, and at the default (120 s) the next comes after the session ends
 * (viewers then shared nothing, and the tests could not judge).
 */
const ANNOUNCE_INTERVAL_SEC = 5;

await inChromiumNamespace('faults in Chromium', fileURLToPath(import.meta.url), () => {
  describe('faults in Chromium (loopback namespace)', { timeout: 5 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    const open: Viewer[] = [];
    before(async () => {
      stack = await startStack({ tracker: { announceIntervalSec: ANNOUNCE_INTERVAL_SEC } });
      browser = await launchChromium();
    });
    after(async () => {
      for (const viewer of open) await viewer.close().catch(() => undefined);
      await browser?.close();
      await stack?.close();
    });

    // This test found that hls.js's default playlist retries (two, ~3 s) set renditions aside during
    // the outage and left a viewer with nothing to load; the policy now retries playlists for ~30 s.
    // And (issue 22) that a segment p2p-media-loader failed to fetch during the outage reached hls.js
    // as status 0, which it does not retry: it set the rendition aside, and the viewer loaded nothing
    // after the origin came back; the policy now retries those as a 5xx.
    test(
      'origin unreachable for 10 s during a live event with 3 viewers: peers carry what they hold, nobody fails, everyone recovers',
      async () => {
      const link = await OriginLink.open(Number(new URL(stack.originUrl).port));
      const viaLink: Stack = { ...stack, originUrl: link.url };
      const options: ViewerOptions = { trackers: [stack.trackerUrl], level: 0 };
      const viewers: Viewer[] = [];
      for (let i = 0; i < 3; i++) {
        const viewer = await openViewer(browser, viaLink, options);
        open.push(viewer);
        viewers.push(viewer);
        await recordSegments(viewer);
        await sleep(1000);
      }
      const samples: Sample[][] = viewers.map(() => []);
      let zero = Date.now() + 22_000;
      await sample(viewers, 22_000, zero, samples);
      zero = Date.now();
      link.cut();
      await sample(viewers, OUTAGE_MS, zero, samples);
      link.restore();
      const restoredAt = Date.now();
      await sample(viewers, 20_000, zero, samples);
      const segments = await Promise.all(viewers.map(segmentsOf));
      const errors = await Promise.all(viewers.map(errorsOf));
      const hlsStates = await Promise.all(viewers.map(hlsStateOf));
      for (const viewer of viewers) await viewer.close();
      await link.close();

      const restoredAfter = restoredAt - zero;
      const p2pBeforeCut = samples.map((rows) => rows.filter((row) => row.at < 0).at(-1)!.stats.p2pBytes);
      for (const [i, rows] of samples.entries()) {
        const atCut = rows.find((row) => row.at >= 0)!;
        const atRestore = rows.filter((row) => row.at <= restoredAfter).at(-1)!;
        const last = rows.at(-1)!;
        const bytes = (row: Sample) => row.stats.httpBytes + row.stats.p2pBytes;
        const playedInOutage = atRestore.currentTime - atCut.currentTime;
        const playedAfter = last.currentTime - atRestore.currentTime;
        const loadedAfter = segments[i]!.filter((segment) => segment.at > restoredAt);
        console.log(
          `  viewer ${i}: played ${playedInOutage.toFixed(1)} s of ${OUTAGE_MS / 1000} s outage (buffer at cut ${atCut.stats.bufferAhead} s), ` +
            `${playedAfter.toFixed(1)} s in the ${((last.at - restoredAfter) / 1000).toFixed(0)} s after; stalls ${last.stats.stalls} (${last.stats.stalledMs} ms); ` +
            `after restore ${loadedAfter.length} segments (${loadedAfter.filter((s) => s.source === 'p2p').length} p2p), HTTP +${last.stats.httpBytes - atRestore.stats.httpBytes} B; p2p before cut ${p2pBeforeCut[i]} B`,
        );
        assert.deepEqual(errors[i]!.filter((error) => error.fatal), [], `viewer ${i} had a fatal error`);
        // Viewers buffer up to the live edge (liveLatency 12 s − one segment), so what they hold — from peers
        // and the origin — carries them through most of the outage; without playlists no new segment can
        // be known, so once that buffer is spent they must stall: that stall is bounded by the outage.
        assert.ok(playedInOutage >= 5, `viewer ${i} played only ${playedInOutage.toFixed(1)} s from its buffer during the outage`);
        assert.ok(playedAfter >= 5, `viewer ${i} played only ${playedAfter.toFixed(1)} s after the origin came back; ${hlsStates[i]}`);
        assert.ok(bytes(last) > bytes(atRestore) && loadedAfter.length >= 3, `viewer ${i} loaded ${loadedAfter.length} segments after the origin came back; ${hlsStates[i]}`);
        assert.ok(last.stats.httpBytes > atRestore.stats.httpBytes || loadedAfter.some((s) => s.source === 'p2p'), `viewer ${i} loaded nothing after the outage`);
      }
      assert.ok(
        p2pBeforeCut.reduce((a, b) => a + b, 0) > 0,
        'nobody had taken a segment from a peer before the outage: the test did not exercise a swarm',
      );
      // Every viewer loads the new live segments again (some from the origin: nobody else has them).
      assert.ok(
        samples.some((rows) => rows.at(-1)!.stats.httpBytes > rows.filter((row) => row.at <= restoredAfter).at(-1)!.stats.httpBytes),
        'the origin served nothing after it came back',
      );
      },
    );

    // The faulty peers start first and play close to the live edge, the honest viewer joins later and
    // plays further behind: every segment it wants is then held by both faulty peers well before its
    // HTTP deadline, so it asks them. (Four viewers at one latency, started together, often exchanged
    // no segment at all on a 2-core machine: nobody held a segment early enough to be asked.)
    // Coordination off: a relay role would keep a faulty peer from fetching what it must hold.
    // (Skipped until the origin's epoch moved to 2026: hls.js then spent half a core per viewer on
    // the discontinuity sequence, and on a 2-core machine the faulty peers fell behind the honest one.)
    test(
      'a slow peer and a peer that disconnects mid-transfer: the others never stall waiting on them and fetch those segments over HTTP',
      async () => {
      const trackers = [stack.trackerUrl];
      // hls.js lets latency grow by 8 s after stalls before it jumps back: on a loaded machine the faulty
      // peers fell behind the honest viewer that way. They jump back sooner and catch up faster.
      const ahead: ViewerOptions = {
        trackers,
        coordination: false,
        liveLatency: FAULTY_PEER_LATENCY_SEC,
        hlsConfig: { liveMaxLatencyDuration: FAULTY_PEER_LATENCY_SEC + 3, maxLiveSyncPlaybackRate: 1.5 },
      };
      const specs: Array<{ options: ViewerOptions; script?: string; settle: number }> = [
        { options: ahead, script: SLOW_UPLOADS_SCRIPT, settle: 1000 },
        { options: ahead, script: DISCONNECTING_UPLOADS_SCRIPT, settle: FAULTY_PEERS_HEAD_START_MS },
        { options: { trackers, coordination: false, liveLatency: HONEST_VIEWER_LATENCY_SEC }, script: RECEIVED_CHUNKS_SCRIPT, settle: 1000 },
        // HTTP-only control in the same conditions (same machine, same moment): stalls it has are not the peers' doing.
        { options: { p2p: false }, settle: 1000 },
      ];
      const viewers: Viewer[] = [];
      for (const spec of specs) {
        const viewer = await openViewer(browser, stack, { level: 0, ...spec.options }, spec.script ? { initScript: spec.script } : {});
        open.push(viewer);
        viewers.push(viewer);
        await recordSegments(viewer);
        await sleep(spec.settle);
      }
      const starts = await Promise.all(viewers.map((viewer) => viewer.currentTime()));
      await sleep(PEER_FAULT_SESSION_MS);
      // p2p-media-loader picks among the peers holding a segment at random, weighted towards peers it
      // has measured as fast: in one CI run of 40 s the honest viewer never asked the slow peer. The
      // session goes on (bounded) until each fault has been met, so the assertions below judge them.
      const counter = (i: number, name: string) =>
        viewers[i]!.page.evaluate((key) => (window as unknown as Record<string, number>)[key] ?? 0, name);
      const counters = () => Promise.all([counter(0, '__delayedChunks'), counter(1, '__cutChannels'), counter(2, '__receivedChunks')]);
      const exercised = async () => (await counters()).every((count) => count > 0);
      for (const end = Date.now() + PEER_FAULT_EXTRA_MS; Date.now() < end && !(await exercised()); ) await sleep(2000);
      const stats = await Promise.all(viewers.map((viewer) => viewer.stats()));
      const played = (await Promise.all(viewers.map((viewer) => viewer.currentTime()))).map((time, i) => time - starts[i]!);
      const errors = await Promise.all(viewers.map(errorsOf));
      const honestFragments = await fragmentsOf(viewers[2]!);
      const [delayed, cut, received] = await counters();
      for (const viewer of viewers) await viewer.close();

      const [, , honest, control] = stats as [SwarmcastStats, SwarmcastStats, SwarmcastStats, SwarmcastStats];
      const names = ['slow', 'disconnecting', 'honest', 'HTTP-only'];
      console.log(`  slow peer delayed ${delayed} chunks; disconnecting peer cut ${cut} channels mid-segment; the honest viewer received ${received} chunks from them`);
      for (const [i, s] of stats.entries()) {
        console.log(`  ${names[i]}: played ${played[i]!.toFixed(1)} s, stalls ${s.stalls} (${s.stalledMs} ms), segments http ${s.segments.http} / p2p ${s.segments.p2p}, peers ${s.peers}`);
      }
      assert.ok(delayed > 0, 'the slow peer never uploaded: the test did not exercise it');
      assert.ok(cut > 0, 'the disconnecting peer never uploaded: the test did not exercise it');
      // Its only peers are the faulty ones (the control has no P2P): whatever it received, it asked them for.
      assert.ok(received > 0, 'the honest viewer never received segment data from the faulty peers: the test did not exercise it');
      for (const [i, s] of stats.entries()) {
        assert.deepEqual(errors[i]!.filter((error) => error.fatal), [], `${names[i]} viewer had a fatal error`);
        assert.ok(played[i]! > PEER_FAULT_SESSION_MS / 1000 / 2, `${names[i]} viewer played only ${played[i]!.toFixed(1)} s`);
        if (i < 3) {
          // Waiting on a bad peer would show as stalls the HTTP-only control does not have (one short stall of margin for a loaded machine).
          assert.ok(s.stalls <= control.stalls + 1, `${names[i]} viewer stalled ${s.stalls}× vs ${control.stalls}× HTTP-only`);
          assert.ok(s.stalledMs <= control.stalledMs + 2000, `${names[i]} viewer stalled ${s.stalledMs} ms vs ${control.stalledMs} ms HTTP-only`);
        }
      }
      // hls.js got every segment in order, from peers where they delivered and from the origin where they did not.
      // Counted at hls.js, which is what plays: once in CI the SDK's `segment` events missed one
      // segment of a viewer that played on without a stall (cause not found; see the issue note).
      const sequence = (url: string) => Number(/(\d+)\.ts$/.exec(url)?.[1]);
      const loaded = [...new Set(honestFragments.map(sequence))].sort((a, b) => a - b);
      const gaps = loaded.filter((n, i) => i > 0 && n !== loaded[i - 1]! + 1);
      assert.deepEqual(gaps, [], `the honest viewer skipped segments before ${gaps.join(', ')}`);
      assert.ok(honest.segments.http > 0, 'the honest viewer never fell back to HTTP');
      },
    );
  });
});
