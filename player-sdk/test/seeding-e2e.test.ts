/**
 * Seeding coordination in Chromium, with the player's default options (coordination is on by
 * default): viewers of the live stream ask the tracker's /coordination (cross-origin, from the
 * page) and get a role in their rendition's swarm. A rank comes back only for a peer_id the
 * tracker holds in that info_hash, so this also proves the SDK derives the same info_hash and
 * peer_id that p2p-media-loader announces in the browser. Against a tracker with coordination off
 * the same default viewers play as uncoordinated ones, without an error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '@swarmcast/testkit';
import { inChromiumNamespace, type BrowserHandle } from '@swarmcast/testkit/chromium';
import type { SwarmcastStats } from '../src/stats.ts';
import { chromiumSuite, openViewer, segmentFigures, segmentRecords, type SegmentRecord, type Stack, type Viewer, type ViewerOptions } from './harness.ts';

const SESSION_MS = 45_000;
/** Segments that first appeared after this much of a session are "steady": every viewer is in. */
const STEADY_AFTER_MS = 20_000;

const errorsOf = (viewer: Viewer) => viewer.page.evaluate(() => (window as unknown as { swarmcastErrors: unknown[] }).swarmcastErrors);
const sequence = (url: string) => Number(/(\d+)\.ts$/.exec(url)?.[1]);

interface Session {
  stats: SwarmcastStats[];
  records: SegmentRecord[][];
  /** Media sequence numbers of the fragments hls.js loaded (what plays), per viewer, in order. */
  fragments: number[][];
  /** Origin fetches of segments that appeared after STEADY_AFTER_MS, and how many such segments. */
  steady: { fetches: number; segments: number; byRole: Record<string, number> };
  /** Every origin fetch of the session (startup included), counted at the players. */
  fetches: number;
}

/** `count` viewers started 2 s apart (as real viewers arrive), playing for `sessionMs`. */
async function session(browser: BrowserHandle, stack: Stack, count: number, options: ViewerOptions, sessionMs = SESSION_MS): Promise<Session> {
  const viewers: Viewer[] = [];
  try {
    const startedAt = Date.now();
    for (let i = 0; i < count; i++) {
      const viewer = await openViewer(browser, stack, { level: 0, trackers: [stack.trackerUrl], ...options });
      viewers.push(viewer);
      await viewer.page.evaluate(() => {
        const w = window as unknown as { fragments: number[]; player: { hls: { on(name: string, listener: (event: string, data: { frag: { sn: number } }) => void): void } } };
        w.fragments = [];
        w.player.hls.on('hlsFragLoaded', (_event, data) => w.fragments.push(data.frag.sn));
      });
      await sleep(2000);
    }
    await sleep(sessionMs - (Date.now() - startedAt));
    const stats = await Promise.all(viewers.map((viewer) => viewer.stats()));
    const records = await Promise.all(viewers.map(segmentRecords));
    const fragments = await Promise.all(viewers.map((viewer) => viewer.page.evaluate(() => (window as unknown as { fragments: number[] }).fragments)));
    const errors = await Promise.all(viewers.map(errorsOf));
    assert.deepEqual(errors.flat(), [], 'no error event');
    const { segments, fetches: steadyFetches, fetchesByRole: byRole } = segmentFigures(records.flat(), startedAt + STEADY_AFTER_MS);
    const fetches = records.flat().filter((record) => record.source === 'http').length;
    return { stats, records, fragments, steady: { fetches: steadyFetches, segments, byRole }, fetches };
  } finally {
    for (const viewer of viewers) await viewer.close();
  }
}

/**
 * hls.js may move its start position once before playback begins (it loads a fragment, then
 * re-syncs to the live point): seen as one fragment skipped among the first ones, with or without
 * coordination. From then on none may be skipped.
 */
const STARTUP_FRAGMENTS = 3;

/** Every viewer played and hls.js got each segment after its start, in order (none skipped). */
function assertEverySegmentPlayed(result: Session): void {
  for (const [i, fragments] of result.fragments.entries()) {
    assert.ok(result.stats[i]!.startupMs !== null, `viewer ${i} never started`);
    const loaded = [...new Set(fragments.slice(STARTUP_FRAGMENTS))].sort((a, b) => a - b);
    assert.ok(loaded.length >= 10, `viewer ${i} loaded only ${fragments.length} fragments`);
    const gaps = loaded.filter((n, k) => k > 0 && n !== loaded[k - 1]! + 1);
    const sources = result.records[i]!.map((record) => `${sequence(record.url)}:${record.source}:${record.role}`).join(' ');
    assert.deepEqual(gaps, [], `viewer ${i} skipped segments before ${gaps.join(', ')} (stalls ${result.stats[i]!.stalls}); loaded ${loaded.join(' ')}; segment events ${sources}`);
  }
}

const describeSession = (name: string, result: Session) =>
  `${name}: ${result.fetches} origin fetches in all; steady ${result.steady.fetches} for ${result.steady.segments} segments ${JSON.stringify(result.steady.byRole)}; ` +
  `p2p ${result.stats.map((s) => s.segments.p2p).join('/')} http ${result.stats.map((s) => s.segments.http).join('/')}; stalls ${result.stats.map((s) => s.stalls).join('/')}`;

function browserSuite(): void {
  describe('seeding coordination in Chromium, by default', { timeout: 6 * 60_000 }, () => {
    const suite = chromiumSuite();

    test('two viewers with default options: one seeds, the other backs up, and they share', async () => {
      const viewers: Viewer[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          viewers.push(await openViewer(suite.browser, suite.stack, { level: 0, trackers: [suite.stack.trackerUrl] }));
          await sleep(1000);
        }
        await sleep(20_000);
        // Each asked in its own moment: across a slot boundary one may still hold its role from the
        // last slot (both seeders, or, after its seeder was passed over, both backups) until its poll
        // just after the boundary. Read again, at most twice, a second and a half later.
        const readStats = () => Promise.all(viewers.map((viewer) => viewer.stats()));
        const oneSeeder = (roles: Array<string | undefined>) => roles.includes('seeder') && roles.every((role) => role === 'seeder' || role === 'backup');
        let stats = await readStats();
        for (let again = 0; again < 2 && !oneSeeder(stats.map((s) => s.seeding?.role)); again++) {
          await sleep(1500);
          stats = await readStats();
        }
        assert.deepEqual(stats.map((s) => s.seeding?.swarmSize), [2, 2], JSON.stringify(stats.map((s) => s.seeding)));
        const roles = stats.map((s) => s.seeding?.role);
        assert.ok(oneSeeder(roles), JSON.stringify(roles));
        assert.ok(stats.some((s) => s.p2pBytes > 0), 'segments went from one to the other');
        assert.ok(stats.every((s) => s.startupMs !== null), `startup: ${JSON.stringify(stats.map((s) => s.startupMs))}`);
      } finally {
        for (const viewer of viewers) await viewer.close();
      }
    });

    test('four viewers with default options follow their roles (the seeder fetches, relays wait for it) and cost the origin fewer fetches than with coordination: false', async () => {
      const coordinated = await session(suite.browser, suite.stack, 4, {});
      const uncoordinated = await session(suite.browser, suite.stack, 4, { coordination: false });
      console.log(`  ${describeSession('default (coordinated)', coordinated)}\n  ${describeSession('coordination: false', uncoordinated)}`);
      // The control only counts: uncoordinated viewers here now and then stall and skip a fragment.
      assertEverySegmentPlayed(coordinated);
      assert.ok(uncoordinated.records.flat().every((record) => record.role === 'none'), 'coordination: false never has a role');
      const { byRole } = coordinated.steady;
      assert.ok((byRole['seeder'] ?? 0) > 0, `the seeders fetched no new segment: ${JSON.stringify(byRole)}`);
      // A relay may reach its floor now and then on a loaded machine; it must not be how segments arrive.
      assert.ok((byRole['relay'] ?? 0) < (byRole['seeder'] ?? 0), `relays fetched as often as seeders: ${JSON.stringify(byRole)}`);
      assert.ok(coordinated.fetches < uncoordinated.fetches, `the origin served ${coordinated.fetches} fetches coordinated, ${uncoordinated.fetches} uncoordinated`);
    });
  });

  describe('default options against a tracker with coordination off', { timeout: 3 * 60_000 }, () => {
    const suite = chromiumSuite({ tracker: { coordination: 'off' } });

    test('they play and share as uncoordinated viewers, with no role and no error event', async () => {
      // Long enough to connect and share; nothing here is counted after a steady state.
      const result = await session(suite.browser, suite.stack, 2, {}, 30_000);
      console.log(`  ${describeSession('COORDINATION=off', result)}`);
      assertEverySegmentPlayed(result);
      assert.deepEqual(result.stats.map((s) => s.seeding), [null, null]);
      assert.ok(result.stats.some((s) => s.p2pBytes > 0), 'they shared segments');
    });
  });
}

await inChromiumNamespace('seeding coordination in Chromium', fileURLToPath(import.meta.url), browserSuite);
