// Interop proof: real p2p-media-loader-core 2.3.1 peers (each in its own Node process, real WebRTC
// from @roamhq/wrtc) find each other through our tracker and one gets segment bytes from the other;
// bittorrent-tracker's own WebSocket client pairs through it too.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { once, type EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startPeer, type PeerEvent, type PeerOptions, type PeerProcess } from '@swarmcast/loadtest/viewer';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { startRedis, startTrackerProcess, webrtcSkip, WireClient } from '@swarmcast/testkit';
import type { ScrapeFile } from '@swarmcast/protocol/wire';
import type { TrackerOptions } from '../src/app.ts';
import { startTracker } from './support/tracker-fixture.ts';

const SEGMENT_COUNT = 4;
const SEGMENT_SECONDS = 4;

/** Deterministic, incompressible segment bodies of 100–250 KB. */
function segmentBody(index: number): Buffer {
  const size = 100_000 + index * 50_000;
  const blocks: Buffer[] = [];
  for (let block = 0; blocks.length * 32 < size; block++) {
    blocks.push(createHash('sha256').update(`segment ${index} block ${block}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, size);
}

const bodies = Array.from({ length: SEGMENT_COUNT }, (_, index) => segmentBody(index));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface Origin {
  server: Server;
  baseUrl: string;
  /** Requests served per segment index. */
  requests: number[];
  bytesServed: number;
}

async function startOrigin(): Promise<Origin> {
  const origin: Origin = {
    server: createServer((request, response) => {
      const index = Number(/^\/vod\/interop\/seg-(\d+)\.ts$/.exec(request.url ?? '')?.[1]);
      const body = bodies[index];
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      origin.requests[index] = (origin.requests[index] ?? 0) + 1;
      origin.bytesServed += body.length;
      response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length }).end(body);
    }),
    baseUrl: '',
    requests: bodies.map(() => 0),
    bytesServed: 0,
  };
  origin.server.listen(0, '127.0.0.1');
  await once(origin.server, 'listening');
  origin.baseUrl = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  return origin;
}

type OnClose = (close: () => Promise<void>) => void;

/** Registers what a test starts, to be closed last-first when it ends, passed or not. */
function closer(t: TestContext): OnClose {
  const closes: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of closes.reverse()) await close();
  });
  return (close) => closes.push(close);
}

/** An origin and the options every viewer of its stream shares, announcing to `trackers`. */
async function startOriginFor(onClose: OnClose, trackers: string[]): Promise<{ origin: Origin; viewer: PeerOptions }> {
  const origin = await startOrigin();
  onClose(async () => {
    origin.server.closeAllConnections();
    origin.server.close();
  });
  const viewer: PeerOptions = {
    trackers,
    manifestUrl: `${origin.baseUrl}/vod/interop/index.m3u8`,
    segments: bodies.map((_, index) => ({
      url: `${origin.baseUrl}/vod/interop/seg-${index}.ts`,
      startTime: index * SEGMENT_SECONDS,
      endTime: (index + 1) * SEGMENT_SECONDS,
    })),
  };
  return { origin, viewer };
}

/** Our tracker (in process) and an origin. */
async function startStream(onClose: OnClose, trackerOptions?: TrackerOptions): Promise<{ origin: Origin; viewer: PeerOptions }> {
  const tracker = await startTracker(trackerOptions);
  onClose(tracker.close);
  return startOriginFor(onClose, [tracker.url]);
}

async function startViewer(onClose: OnClose, name: string, options: PeerOptions): Promise<PeerProcess> {
  const peer = await startPeer(name, options);
  onClose(() => peer.close());
  return peer;
}

type EventOf<K extends PeerEvent['event']> = Extract<PeerEvent, { event: K }>;
const is =
  <K extends PeerEvent['event']>(kind: K) =>
  (event: PeerEvent): event is EventOf<K> =>
    event.event === kind;

async function load(peer: PeerProcess, index: number, timeoutMs: number): Promise<EventOf<'segment'>> {
  peer.send({ cmd: 'load', index });
  const event = await peer.waitFor(
    (event) => (event.event === 'segment' || event.event === 'segment-error') && event.index === index,
    timeoutMs,
  );
  assert.equal(event.event, 'segment', `${peer.name} failed segment ${index}: ${peer.describe()}`);
  return event as EventOf<'segment'>;
}

async function loadAll(peer: PeerProcess, timeoutMs: number): Promise<EventOf<'segment'>[]> {
  const loaded = [];
  for (let index = 0; index < SEGMENT_COUNT; index++) loaded.push(await load(peer, index, timeoutMs));
  return loaded;
}

async function stats(peer: PeerProcess): Promise<EventOf<'stats'>> {
  peer.send({ cmd: 'stats' });
  return peer.waitFor(is('stats'), 5_000);
}

/** A seeder loads every segment over HTTP, then a leecher gets them all from it over WebRTC. */
async function seedThenLeech(origin: Origin, seederOptions: PeerOptions, leecherOptions: PeerOptions, onClose: OnClose): Promise<void> {
  const total = bodies.reduce((sum, body) => sum + body.length, 0);
  const seeder = await startViewer(onClose, 'seeder', seederOptions);
  for (const [index, segment] of (await loadAll(seeder, 10_000)).entries()) {
    assert.equal(segment.source, 'http');
    assert.equal(segment.sha256, sha256(bodies[index]!));
  }
  assert.deepEqual(origin.requests, bodies.map(() => 1));

  // The core sends the first segments over HTTP at once unless told to wait: holding HTTP back for
  // longer than this test runs leaves the leecher no way to get a segment but from the seeder.
  const leecher = await startViewer(onClose, 'leecher', { ...leecherOptions, core: { httpDownloadInitialTimeoutMs: 60_000 } });
  for (const [index, segment] of (await loadAll(leecher, 20_000)).entries()) {
    assert.equal(segment.source, 'p2p', `segment ${index} should come from the seeder`);
    assert.equal(segment.bytes, bodies[index]!.length);
    assert.equal(segment.sha256, sha256(bodies[index]!), `segment ${index} differs from the origin's`);
  }
  assert.deepEqual(origin.requests, bodies.map(() => 1), 'the leecher fetched nothing from the origin');
  assert.equal(origin.bytesServed, total);
  assert.ok(leecher.events.some(is('peer-connect')) && seeder.events.some(is('peer-connect')));
  assert.deepEqual(await stats(leecher), { event: 'stats', httpBytes: 0, p2pBytes: total, uploadedBytes: 0 });
  assert.equal((await stats(seeder)).uploadedBytes, total);
}

test('a p2p-media-loader-core peer gets segments from another through our tracker', { skip: webrtcSkip, timeout: 45_000 }, async (t) => {
  const onClose = closer(t);
  const { origin, viewer } = await startStream(onClose);
  await seedThenLeech(origin, viewer, viewer, onClose);
});

test('p2p-media-loader-core peers on two tracker instances sharing Redis get segments from each other', { skip: webrtcSkip, timeout: 60_000 }, async (t) => {
  const onClose = closer(t);
  const redis = await startRedis();
  onClose(() => redis.stop());
  const instances = await Promise.all([1, 2].map(() => startTrackerProcess({ REDIS_URL: redis.url })));
  for (const instance of instances) onClose(() => instance.stop());
  const { origin, viewer } = await startOriginFor(onClose, []);
  await seedThenLeech(origin, { ...viewer, trackers: [instances[0]!.url] }, { ...viewer, trackers: [instances[1]!.url] }, onClose);
  const relayed = await Promise.all(instances.map(async (instance) => (await (await fetch(instance.httpUrl + '/stats')).json()) as TrackerStats));
  assert.ok(relayed.every((stats) => stats.offersRelayed + stats.answersRelayed > 0), 'signaling crossed between the instances');
});

async function scrapeFiles(client: WireClient): Promise<Record<string, ScrapeFile>> {
  client.send({ action: 'scrape' });
  return (await client.next((frame) => frame['action'] === 'scrape'))['files'] as Record<string, ScrapeFile>;
}

test('p2p-media-loader-core peers of a stream split over several swarms (MAX_PEERS_PER_SWARM 4, 6 viewers) still share within theirs', { skip: webrtcSkip, timeout: 120_000 }, async (t) => {
  const onClose = closer(t);
  const tracker = await startTracker({ maxPeersPerSwarm: 4 });
  onClose(tracker.close);
  const { origin, viewer } = await startOriginFor(onClose, [tracker.url]);
  const first = await startViewer(onClose, 'viewer-0', viewer);
  await loadAll(first, 10_000);
  // Each waits a little for peers before HTTP: one alone in its swarm then fetches from the origin.
  const others: PeerProcess[] = [];
  const loaded: EventOf<'segment'>[][] = [];
  for (let i = 1; i < 6; i++) {
    const other = await startViewer(onClose, `viewer-${i}`, { ...viewer, core: { httpDownloadInitialTimeoutMs: 2500 } });
    others.push(other);
    loaded.push(await loadAll(other, 20_000));
  }
  for (const [i, segments] of loaded.entries()) {
    for (const [index, segment] of segments.entries()) assert.equal(segment.sha256, sha256(bodies[index]!), `viewer ${i + 1}, segment ${index}`);
  }
  // Viewers 0-2 joined while the stream had one swarm: the third filled it to 80 %, which opened another.
  for (const i of [0, 1]) assert.ok(loaded[i]!.every((segment) => segment.source === 'p2p'), `viewer ${i + 1} got every segment from its swarm: ${others[i]!.describe()}`);
  // The stream was split: a seventh peer's announce counts its own swarm, at most 4, where a scrape counts all 7.
  // (Viewers that moved into a swarm opened after they joined keep the peers they had, so p2p-media-loader's own peer counts say less.)
  const scraper = await WireClient.connect(tracker.url);
  onClose(async () => scraper.close());
  const stream = Object.keys(await scrapeFiles(scraper))[0]!;
  scraper.send({ action: 'announce', info_hash: stream, peer_id: 'observer'.padEnd(20, '.'), numwant: 0, uploaded: 0, downloaded: 0 });
  const own = await scraper.next((frame) => frame['action'] === 'announce');
  assert.ok(Number(own['complete']) + Number(own['incomplete']) <= 4, `the observer's swarm has ${Number(own['complete']) + Number(own['incomplete'])} peers`);
  const files = Object.values(await scrapeFiles(scraper));
  assert.deepEqual(files.map((file) => file.complete + file.incomplete), [7], 'one stream of 6 viewers and the observer');
  console.log(`  origin requests per segment: ${origin.requests.join(' ')}`);
  // 6 viewers in swarms of at most 4 are 2 or 3 swarms: the first of each fetches, the rest share.
  assert.ok(origin.requests.every((count) => count <= 3), `the origin served a segment more than once per swarm: ${origin.requests.join(' ')}`);
});

test('a p2p-media-loader-core peer our tracker refuses gets the failure reason and plays over HTTP', { skip: webrtcSkip, timeout: 30_000 }, async (t) => {
  const onClose = closer(t);
  // It serves another stream only: every announce of this one is refused.
  const { viewer } = await startStream(onClose, { allowedInfoHashes: ['x'.repeat(20)] });
  const first = await startViewer(onClose, 'first', viewer);
  await load(first, 0, 10_000);

  const refused = await startViewer(onClose, 'refused', viewer);
  assert.equal((await load(refused, 0, 10_000)).source, 'http');
  // Unless the failure carries action "announce" and the request's info_hash, the client drops
  // the socket and reports "invalid action in WS response" instead.
  const warning = await refused.waitFor(is('tracker-warning'), 10_000);
  assert.match(warning.message, /does not serve this info_hash/);
  assert.ok(!refused.events.some(is('peer-connect')) && !first.events.some(is('peer-connect')));
});

// bittorrent-tracker ships no types; this is the part of its client the next test uses. The
// specifier is not a literal so that TypeScript leaves the import untyped instead of failing.
interface TrackerClient extends EventEmitter {
  start(): void;
  destroy(): void;
}
interface SimplePeer extends EventEmitter {
  send(data: string): void;
  destroy(): void;
}
interface AnnounceUpdate {
  action: string;
  interval: number;
  info_hash: string;
  complete: number;
  incomplete: number;
}
type TrackerClientClass = new (options: {
  infoHash: string;
  peerId: Uint8Array;
  announce: string[];
  port: number;
  rtcConfig: { iceServers: [] };
}) => TrackerClient;
const BITTORRENT_TRACKER = 'bittorrent-tracker';

test("bittorrent-tracker's WebSocket client announces and two of them connect through our tracker", { skip: webrtcSkip, timeout: 20_000 }, async (t) => {
  const onClose = closer(t);
  const { Client } = (await import(BITTORRENT_TRACKER)) as { Client: TrackerClientClass };
  const tracker = await startTracker();
  onClose(tracker.close);

  const infoHash = createHash('sha1').update('interop bittorrent-tracker swarm').digest('hex');
  // One process shares one socket per announce URL between clients; distinct queries give each
  // client its own connection, as two browsers would have.
  const start = (name: string) => {
    const client = new Client({
      infoHash,
      peerId: Buffer.from(`-BT0000-${name}`.padEnd(20, '0')),
      announce: [`${tracker.url}/?client=${name}`],
      port: 6881,
      rtcConfig: { iceServers: [] },
    });
    onClose(async () => client.destroy());
    // A failure reason reaches the client as a warning; without this the test would just time out.
    const failed = new Promise<never>((_, reject) => {
      client.once('warning', (warning: unknown) => reject(new Error(`${name}: tracker warning: ${String(warning)}`)));
      client.once('error', (error: unknown) => reject(new Error(`${name}: tracker error: ${String(error)}`)));
    });
    failed.catch(() => {});
    const updated = Promise.race([once(client, 'update') as Promise<[AnnounceUpdate]>, failed]);
    const peered = Promise.race([once(client, 'peer') as Promise<[SimplePeer]>, failed]);
    client.start();
    return { updated, peered };
  };

  const first = start('first');
  const [firstUpdate] = await first.updated;
  assert.equal(firstUpdate.action, 'announce');
  assert.equal(Buffer.from(firstUpdate.info_hash, 'latin1').toString('hex'), infoHash);
  assert.ok(firstUpdate.interval > 0, 'announce interval');
  assert.equal(firstUpdate.complete + firstUpdate.incomplete, 1);

  const second = start('second');
  const [secondUpdate] = await second.updated;
  assert.equal(secondUpdate.complete + secondUpdate.incomplete, 2);

  const [[firstPeer], [secondPeer]] = await Promise.all([first.peered, second.peered]);
  onClose(async () => {
    firstPeer.destroy();
    secondPeer.destroy();
  });
  await Promise.all([once(firstPeer, 'connect'), once(secondPeer, 'connect')]);
  const received = once(secondPeer, 'data') as Promise<[Uint8Array]>;
  firstPeer.send('hello over the data channel');
  assert.equal(Buffer.from((await received)[0]).toString(), 'hello over the data channel');
});
