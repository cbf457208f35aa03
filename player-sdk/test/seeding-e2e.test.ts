/**
 * Seeding coordination in Chromium: two SDK viewers of the live stream ask the tracker's
 * /coordination (cross-origin, from the page) and get a role in their rendition's swarm. A rank
 * comes back only for a peer_id the tracker holds in that info_hash, so this also proves the SDK
 * derives the same info_hash and peer_id that p2p-media-loader announces in the browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { openViewer, startStack, type Stack, type Viewer } from './harness.ts';

function browserSuite(): void {
  describe('seeding coordination in Chromium', { timeout: 3 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    const viewers: Viewer[] = [];

    before(async () => {
      stack = await startStack();
      browser = await launchChromium();
    });
    after(async () => {
      for (const viewer of viewers) await viewer.close();
      await browser?.close();
      await stack?.close();
    });

    test('two viewers of one rendition: one seeds, the other backs up, and they share', async () => {
      for (let i = 0; i < 2; i++) {
        viewers.push(await openViewer(browser, stack, { level: 0, trackers: [stack.trackerUrl], coordination: true }));
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
      assert.ok(stats.every((s) => s.startupMs !== null && s.stalls === 0), `startup and stalls: ${JSON.stringify(stats.map((s) => [s.startupMs, s.stalls]))}`);
      for (const viewer of viewers.splice(0)) await viewer.close();
    });

    test('without coordination (the default) the player never asks, and plays as before', async () => {
      const viewer = await openViewer(browser, stack, { level: 0, trackers: [stack.trackerUrl] });
      viewers.push(viewer);
      let stats = await viewer.stats();
      for (let waited = 0; stats.startupMs === null && waited < 30_000; waited += 1000) {
        await sleep(1000);
        stats = await viewer.stats();
      }
      assert.ok(stats.startupMs !== null, 'it played');
      assert.equal(stats.seeding, null);
    });
  });
}

await inChromiumNamespace('seeding coordination in Chromium', fileURLToPath(import.meta.url), browserSuite);
