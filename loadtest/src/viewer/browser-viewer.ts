// A real-browser viewer of the event (`--browsers`): a Chromium page playing the live stream with
// the player SDK's own bundle (browser-page.ts), beside the virtual viewers and reporting as they
// do (viewer-events.ts): `live-stats` every second, made from the page's `player.stats()`, and an
// `origin-fetch` for each segment the player took over HTTP. With `--network lan` the pages share
// one Chromium (a context each); on hosts of their own, each viewer is a Chromium of its own in a
// fresh network namespace, attached to the test network before it starts.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, newWebRtcContext } from '@swarmcast/chromium';
import type { SwarmcastOptions, SwarmcastStats } from '@swarmcast/player-sdk/policy';
import { FETCH_REASONS, type FetchReason } from './fetch-reason.ts';
import type { LiveStats } from './live-playback.ts';
import type { PeerCommand } from './p2pml-viewer.ts';
import { ViewerEvents } from './viewer-events.ts';

/** What the page's `swarmcastViewer.report()` returns (browser-page.ts). */
export interface PageReport {
  stats: SwarmcastStats;
  peerConnections: number;
  /** From `createPlayer` to the first peer connection, ms; null before one. */
  connectMs: number | null;
  firstSequence: number | null;
  lastSequence: number | null;
  roleMs: Record<'seeder' | 'backup' | 'relay' | 'none', number>;
  /** Since the last report. */
  fetches: Array<{ sequence: number; reason: FetchReason; atMs: number }>;
  errors: string[];
}

const REPORT_INTERVAL_MS = 1000;
/** As long as a virtual viewer may take to start (event-audience.ts). */
const LAUNCH_TIMEOUT_MS = 30_000;
/** How long a browser on a host of its own may take to put its pid in its gate. */
const GATE_WAIT_MS = 10_000;

const tenths = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A browser viewer's report as a virtual viewer's `LiveStats`: the SDK's counters as they are; a
 * stall is a late segment; what the SDK does not measure (latency resyncs, playlist errors) is 0.
 */
export function liveStatsOf(report: PageReport, originFetches: Record<FetchReason, number>): LiveStats {
  const { stats } = report;
  return {
    httpBytes: stats.httpBytes,
    p2pBytes: stats.p2pBytes,
    uploadedBytes: stats.uploadedBytes,
    peers: stats.peers,
    peerConnections: report.peerConnections,
    segmentsLoaded: stats.segments.http + stats.segments.p2p,
    segmentsFromPeers: stats.segments.p2p,
    segmentBytes: stats.httpBytes + stats.p2pBytes,
    lateSegments: stats.stalls,
    stallSec: stats.stalledMs / 1000,
    latencySec: stats.liveLatency,
    startupSec: stats.startupMs === null ? null : tenths(stats.startupMs),
    connectSec: report.connectMs === null ? null : tenths(report.connectMs),
    latencyResyncs: 0,
    segmentErrors: 0,
    playlistErrors: 0,
    firstSequence: report.firstSequence,
    lastSequence: report.lastSequence,
    originFetches: { ...originFetches },
    roleSec: { seeder: report.roleMs.seeder / 1000, backup: report.roleMs.backup / 1000, relay: report.roleMs.relay / 1000, none: report.roleMs.none / 1000 },
    role: stats.seeding?.role ?? null,
  };
}

/** One viewer's browser context, and how it leaves. */
interface BrowserSeat {
  context: BrowserContext;
  close(): Promise<void>;
  kill(): Promise<void>;
}

export class BrowserViewer extends ViewerEvents {
  private readonly timer: NodeJS.Timeout;
  private readonly originFetches = Object.fromEntries(FETCH_REASONS.map((reason) => [reason, 0])) as Record<FetchReason, number>;
  private pageErrors: string[] = [];
  private gone = false;
  /**
   * One report at a time: each report's fetches and stats are one reading of the page, reported
   * together, so a reader that takes the latest stats has exactly the fetches before them.
   */
  private polling: Promise<void> = Promise.resolve();

  private constructor(
    name: string,
    private readonly page: Page,
    private readonly seat: BrowserSeat,
    private readonly leave: () => void,
    ended: Promise<unknown>,
  ) {
    super(name, ended);
    this.timer = setInterval(() => this.poll(), REPORT_INTERVAL_MS);
  }

  /** Opens the page at `pageUrl` in `seat` and starts a player with `player`; reports `ready` once it runs. */
  static async open(name: string, seat: BrowserSeat, pageUrl: string, player: SwarmcastOptions): Promise<BrowserViewer> {
    const page = await seat.context.newPage();
    // In a loopback-only namespace Chromium says it is offline, and hls.js would then wait for an
    // `online` event after a cut request that never comes (player-sdk/test/harness.ts).
    await page.addInitScript(`Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => true });`);
    await page.goto(pageUrl);
    let leave!: () => void;
    const ended = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const viewer = new BrowserViewer(name, page, seat, leave, ended);
    page.on('pageerror', (error) => viewer.pageErrors.push(error.message));
    try {
      await page.evaluate(`window.swarmcastViewer.start(${JSON.stringify(player)})`);
    } catch (error) {
      viewer.end();
      throw error;
    }
    viewer.report({ event: 'ready' });
    return viewer;
  }

  send(command: PeerCommand): void {
    if (command.cmd === 'stats') this.poll();
    else if (command.cmd === 'exit') void this.close();
    else this.report({ event: 'error', message: `a browser viewer takes no ${command.cmd} command` });
  }

  private poll(): void {
    this.polling = this.polling.then(() => this.readPage());
  }

  private async readPage(): Promise<void> {
    if (this.gone) return;
    let report: PageReport;
    try {
      report = (await this.page.evaluate('window.swarmcastViewer.report()')) as PageReport;
    } catch (error) {
      if (!this.gone) this.report({ event: 'error', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    for (const fetch of report.fetches) {
      this.originFetches[fetch.reason]++;
      this.report({ event: 'origin-fetch', ...fetch });
    }
    for (const message of report.errors) this.report({ event: 'error', message });
    this.report({ event: 'live-stats', ...liveStatsOf(report, this.originFetches), player: report.stats });
  }

  async close(): Promise<void> {
    if (this.end()) await this.seat.close();
  }

  async kill(): Promise<void> {
    if (this.end()) await this.seat.kill();
  }

  /** Whether this call ended it (the first one does). */
  private end(): boolean {
    if (this.gone) return false;
    this.gone = true;
    clearInterval(this.timer);
    this.leave();
    return true;
  }

  describe(): string {
    return `events ${JSON.stringify(this.events.slice(-20))}${this.pageErrors.length > 0 ? `, page errors ${this.pageErrors.join('; ')}` : ''}`;
  }
}

const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * Where browser viewers run: one shared Chromium (`--network lan`), or with `attachNetwork` a
 * Chromium per viewer in a network namespace of its own, given its link before it starts.
 */
export class BrowserFleet {
  private shared: Promise<Browser> | null = null;

  private constructor(private readonly playwright: typeof import('playwright-core')) {}

  /** Loads playwright-core: only runs with browsers need it (the CLI checked it and Chromium are there). */
  static async create(): Promise<BrowserFleet> {
    return new BrowserFleet(await import('playwright-core'));
  }

  /**
   * Opens viewer `name`'s page at `pageUrl` with these player options. `attachNetwork` gets the
   * browser's pid (the namespace's) to give it a network before Chromium starts.
   */
  async open(name: string, pageUrl: string, player: SwarmcastOptions, attachNetwork?: (pid: number) => Promise<void>): Promise<BrowserViewer> {
    const { origin } = new URL(pageUrl);
    const seat = attachNetwork ? await this.ownBrowser(origin, attachNetwork) : await this.sharedSeat(origin);
    try {
      return await BrowserViewer.open(name, seat, pageUrl, player);
    } catch (error) {
      await seat.kill().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const shared = this.shared;
    this.shared = null;
    if (shared) await (await shared.catch(() => null))?.close();
  }

  private async sharedSeat(origin: string): Promise<BrowserSeat> {
    this.shared ??= this.playwright.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: LAUNCH_TIMEOUT_MS });
    const context = await newWebRtcContext(await this.shared, origin);
    return {
      context,
      close: () => context.close(),
      // The page's renderer dies at once, its peer connections and sockets with it, as a closed lid's do.
      kill: async () => {
        await Promise.all(context.pages().map(async (page) => {
          const session = await context.newCDPSession(page);
          await session.send('Page.crash').catch(() => undefined);
        })).catch(() => undefined);
        await context.close();
      },
    };
  }

  /**
   * A Chromium started through a gate: `unshare --net` makes its namespace, a shell writes its pid
   * (which exec keeps for Chromium) and waits until the link is up, then execs Chromium in it.
   * Playwright talks to it over pipes, which need no network.
   */
  private async ownBrowser(origin: string, attachNetwork: (pid: number) => Promise<void>): Promise<BrowserSeat> {
    const gate = await mkdtemp(join(tmpdir(), 'swarmcast-browser-'));
    const wrapper = join(gate, 'chromium');
    await writeFile(join(gate, 'gate.sh'), [`echo $$ > ${quoted(join(gate, 'pid'))}`, `while [ ! -e ${quoted(join(gate, 'up'))} ]; do sleep 0.05; done`, `exec ${quoted(CHROMIUM)} "$@"`, ''].join('\n'));
    await writeFile(wrapper, `#!/bin/sh\nexec unshare --net -- /bin/sh ${quoted(join(gate, 'gate.sh'))} "$@"\n`);
    await chmod(wrapper, 0o755);
    // Camera and microphone, whose grant makes Chromium offer its real host candidates, are for
    // secure contexts only: a page on 127.0.0.1 is one, a plain-HTTP page on the gateway is not.
    const args = [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`];
    const launching = this.playwright.chromium.launch({ executablePath: wrapper, args, timeout: LAUNCH_TIMEOUT_MS });
    // Awaited below once the gate is open; a launch that fails meanwhile is reported there, not as unhandled.
    launching.catch(() => undefined);
    let pid: number | null = null;
    const killGroup = () => {
      // Playwright starts the browser as a process group's leader: its helpers go with it.
      if (pid !== null) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    try {
      pid = await readPid(join(gate, 'pid'));
      await attachNetwork(pid);
      await writeFile(join(gate, 'up'), '');
      const browser = await launching;
      const context = await newWebRtcContext(browser, origin);
      const done = async () => {
        await rm(gate, { recursive: true, force: true });
      };
      return {
        context,
        close: async () => {
          await browser.close();
          await done();
        },
        kill: async () => {
          killGroup();
          await browser.close().catch(() => undefined);
          await done();
        },
      };
    } catch (error) {
      killGroup();
      await launching.then((browser) => browser.close(), () => undefined);
      await rm(gate, { recursive: true, force: true });
      throw error;
    }
  }
}

async function readPid(file: string): Promise<number> {
  const deadline = Date.now() + GATE_WAIT_MS;
  for (;;) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
    if (Date.now() > deadline) throw new Error(`Chromium in a namespace of its own did not start within ${GATE_WAIT_MS} ms`);
    await sleep(20);
  }
}
