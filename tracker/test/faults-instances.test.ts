/**
 * One of two tracker instances killed mid-event: p2p-media-loader announces to every URL in
 * `announceTrackers`, so viewers configured with both keep finding each other through the other.
 * Real p2p-media-loader-core 2.3.1 peers (each in its own process, real WebRTC data channels).
 *
 * The two instances are independent (memory store each), as redundant trackers are: on one shared
 * Redis the same peer_id arriving through two instances is refused as taken, so a Redis-backed
 * deployment gives viewers one URL (its load balancer) instead.
 *
 * Both instances require access tokens, and the token covers the swarm id only: the viewers being
 * let in proves the tracker derives the info_hashes p2p-media-loader-core actually announces.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { mintToken } from '@swarmcast/protocol/access-token';
import { startPeer, type PeerEvent, type PeerOptions, type PeerProcess } from '@swarmcast/loadtest/viewer';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { startTrackerProcess, webrtcSkip } from '@swarmcast/testkit';

const KEY = 'instance-fault-key-0123456789';
const SWARM = 'instance-fault-event';
const bodies = Array.from({ length: 3 }, (_, index) => createHash('sha512').update(`segment ${index}`).digest().toString('hex').repeat(800));

test('viewers configured with two trackers keep sharing when one is killed', { skip: webrtcSkip, timeout: 60_000 }, async (t) => {
  const requests = bodies.map(() => 0);
  const origin = createServer((request, response) => {
    const index = Number(/^\/seg-(\d+)\.ts$/.exec(request.url ?? '')?.[1]);
    if (bodies[index] === undefined) return void response.writeHead(404).end();
    requests[index]!++;
    response.writeHead(200, { 'content-type': 'video/mp2t' }).end(bodies[index]);
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const trackers = await Promise.all([1, 2].map(() => startTrackerProcess({ TRACKER_AUTH: 'required', TRACKER_TOKEN_KEYS: KEY })));
  const peers: PeerProcess[] = [];
  t.after(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await Promise.all(trackers.map((tracker) => tracker.stop()));
    origin.closeAllConnections();
    origin.close();
  });

  const token = mintToken({ swarms: [SWARM], ttlSec: 600 }, KEY);
  const viewer: PeerOptions = {
    trackers: trackers.map((tracker) => `${tracker.url}/?token=${token}`),
    manifestUrl: `${base}/index.m3u8`,
    segments: bodies.map((_, index) => ({ url: `${base}/seg-${index}.ts`, startTime: index * 4, endTime: (index + 1) * 4 })),
    core: { swarmId: SWARM },
  };
  const load = async (peer: PeerProcess, index: number) => {
    peer.send({ cmd: 'load', index });
    const event = await peer.waitFor((e: PeerEvent) => (e.event === 'segment' || e.event === 'segment-error') && e.index === index, 20_000);
    assert.equal(event.event, 'segment', `${peer.name}: ${peer.describe()}`);
    return event as Extract<PeerEvent, { event: 'segment' }>;
  };

  const seeder = await startPeer('seeder', viewer);
  peers.push(seeder);
  for (const index of bodies.keys()) assert.equal((await load(seeder, index)).source, 'http');

  await trackers[0]!.kill();
  // HTTP held back far longer than the test: the late viewer can only get segments from the seeder.
  const late = await startPeer('late viewer', { ...viewer, core: { ...viewer.core, httpDownloadInitialTimeoutMs: 60_000 } });
  peers.push(late);
  for (const index of bodies.keys()) assert.equal((await load(late, index)).source, 'p2p', `segment ${index} from the seeder`);
  assert.deepEqual(requests, bodies.map(() => 1), 'the origin served each segment once, to the seeder');

  const stats = (await (await fetch(trackers[1]!.httpUrl + '/stats')).json()) as TrackerStats;
  assert.ok(stats.offersRelayed > 0 && stats.answersRelayed > 0, 'the surviving tracker paired them');
  assert.equal(stats.rejections['info_hash_not_allowed'] ?? 0, 0, 'the swarm-id token covered what the viewers announced');
  assert.equal(stats.rejections['unauthorized'] ?? 0, 0);
});
