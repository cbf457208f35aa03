/**
 * Floods aimed at other viewers and at the shared store, against tracker processes over their
 * WebSocket: 16 KiB offers flooded at a viewer that stops reading (the senders are cut off, not
 * the reader), from one instance or through Redis from another, and made-up info_hashes joined
 * and left (what they leave in Redis stays capped).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { MAX_SDP_LENGTH } from '@swarmcast/protocol/wire';
import { id20, isAnnounceResponse, isAnswer, isOffer, sleep, startRedis, startTrackerProcess, until, WireClient, type Frame, type RedisServer, type TrackerProcess } from '@swarmcast/testkit';
import { Redis } from 'ioredis';
import { defaultConfig } from '../src/config.ts';
import { MAX_LISTED_SWARMS } from '../src/store/redis.ts';

const PER_PEER = defaultConfig.maxPendingOffersPerPeer;
/** The largest SDP the wire accepts: an offer frame of ~16.4 KB. */
const BIG_SDP = 'v=0\r\n' + 'a'.repeat(MAX_SDP_LENGTH - 5);
/**
 * One announce per 60 ms keeps a flooder within the default 20 messages/s (bursts of 40), so the
 * only limit it meets is the one under test.
 */
const PACE_MS = 60;

const clients: WireClient[] = [];
const trackers: TrackerProcess[] = [];
const redises: RedisServer[] = [];
after(async () => {
  for (const client of clients) client.close();
  await Promise.all(trackers.map((tracker) => tracker.kill()));
  await Promise.all(redises.map((redis) => redis.stop()));
});

async function start(env: Record<string, string> = {}): Promise<TrackerProcess> {
  // A paused reader answers no ping either: pings would close it within 10 s whatever the offers did.
  const tracker = await startTrackerProcess({ LOG_LEVEL: 'warn', PING_INTERVAL: '3600', ...env });
  trackers.push(tracker);
  return tracker;
}

async function connect(tracker: TrackerProcess, localAddress?: string): Promise<WireClient> {
  const client = await WireClient.connect(tracker.url, { localAddress });
  clients.push(client);
  return client;
}

async function stats(tracker: TrackerProcess): Promise<TrackerStats> {
  return (await fetch(tracker.httpUrl + '/stats')).json() as Promise<TrackerStats>;
}

function sendAnnounce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}): void {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 0, uploaded: 0, downloaded: 0, ...extra });
}

function announce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  sendAnnounce(client, infoHash, peerId, extra);
  return client.next(isAnnounceResponse(infoHash), 10_000);
}

const offer = (offerId: string, sdp = BIG_SDP) => ({ numwant: 1, offers: [{ offer_id: offerId, offer: { type: 'offer', sdp } }] });

/** The offers `client` received and no test has taken yet. */
const offersIn = (client: WireClient) => client.frames.filter(isOffer);

/** Answers `frame` (an offer relayed to `client` as `peerId`). */
function answer(client: WireClient, peerId: string, frame: Frame): void {
  client.send({ action: 'announce', info_hash: frame['info_hash'], peer_id: peerId, to_peer_id: frame['peer_id'], offer_id: frame['offer_id'], answer: { type: 'answer', sdp: 'v=0' } });
}

/**
 * After a flood, once `victim` (reading again) has taken what was queued for it, an honest peer
 * offers to it and gets its answer: the victim is connected and honest traffic flows. Frames reach
 * a socket in order, so the flood's offers have all arrived when the honest one does.
 */
async function honestPairing(tracker: TrackerProcess, victim: WireClient, victimId: string, swarm: string, label: string): Promise<void> {
  await until(async () => (await stats(tracker)).queuedBytes === 0, 'the flood drained', { timeoutMs: 30_000 });
  const honest = await connect(tracker);
  // Offers for every member: a sender that was cut off may not have left the swarm yet.
  const offerIds = [0, 1].map((i) => id20(`${label}-o${i}`));
  const reaches = victim.next((frame) => offerIds.includes(frame['offer_id'] as string), 30_000);
  await announce(honest, swarm, id20(`${label}-peer`), { numwant: 2, offers: offerIds.map((offer_id) => ({ offer_id, offer: { type: 'offer', sdp: 'v=0\r\n' } })) });
  answer(victim, victimId, await reaches);
  await honest.next(isAnswer, 10_000);
}

test('three sockets flooding 16 KiB offers at a viewer that stops reading are cut off; the viewer is not', { timeout: 120_000 }, async () => {
  const tracker = await start();
  // A viewer of three renditions (p2p-media-loader: one swarm and peer_id each), and in each a flooder.
  const swarms = [0, 1, 2].map((i) => id20(`flood-rendition-${i}`));
  const victimIds = swarms.map((_, i) => id20(`flood-victim-${i}`));
  const victim = await connect(tracker);
  for (const [i, swarm] of swarms.entries()) await announce(victim, swarm, victimIds[i]!);
  victim.socket.pause();
  const senders = await Promise.all(swarms.map(() => connect(tracker)));

  // Each flooder offers to the swarm's one other member until the tracker closes it or cuts the
  // viewer off; before the bound, the viewer was cut off (`slow_reader`) after ~10 s.
  let viewerCutOff = false;
  const watch = setInterval(() => void stats(tracker).then((s) => (viewerCutOff = (s.rejections['slow_reader'] ?? 0) > 0), () => undefined), 250);
  const sent = await Promise.all(senders.map(async (sender, i) => {
    let count = 0;
    for (; count < 1000 && sender.closeCode === undefined && !viewerCutOff; count++) {
      sendAnnounce(sender, swarms[i]!, id20(`flood-sender-${i}`), offer(id20(`flood-${i}-${count}`)));
      await sleep(PACE_MS);
    }
    return count;
  }));
  clearInterval(watch);

  const after = await stats(tracker);
  assert.equal(after.rejections['slow_reader'], undefined, `the viewer was cut off after ${sent.join(' / ')} offers`);
  assert.equal(after.rejections['rate_limited'], undefined, 'the flooders kept to the message rate');
  assert.equal(after.rejections['offer_flood'], 3, 'each flooder was refused');
  assert.deepEqual(senders.map((sender) => sender.closeCode), [1008, 1008, 1008]);

  victim.socket.resume();
  await honestPairing(tracker, victim, victimIds[0]!, swarms[0]!, 'flood-honest');
  const flooded = offersIn(victim);
  assert.equal(flooded.length, 3 * PER_PEER, `${PER_PEER} offers of each flooder reached the viewer, no more`);
  assert.equal(victim.closeCode, undefined);
});

test('answered offers free their places: a sender whose offers are answered may keep offering', { timeout: 60_000 }, async () => {
  // The message rate is not what is tested here.
  const tracker = await start({ MAX_MESSAGES_PER_SECOND: '1000' });
  const swarm = id20('flood-answered');
  const receiver = await connect(tracker);
  await announce(receiver, swarm, id20('answered-receiver'));
  const sender = await connect(tracker);
  for (let round = 0; round < 3; round++) {
    // As many as may wait, then every one answered.
    for (let i = 0; i < PER_PEER; i++) await announce(sender, swarm, id20('answered-sender'), offer(id20(`answered-${round}-${i}`), 'v=0\r\n'));
    for (let i = 0; i < PER_PEER; i++) answer(receiver, id20('answered-receiver'), await receiver.next(isOffer, 10_000));
    for (let i = 0; i < PER_PEER; i++) await sender.next(isAnswer, 10_000);
  }
  assert.equal(sender.closeCode, undefined);
  assert.equal((await stats(tracker)).rejections['offer_flood'], undefined);
});

test('offers from many senders, each within its bound, stop queueing for a viewer that stops reading; it is not cut off', { timeout: 120_000 }, async () => {
  const tracker = await start();
  // A viewer of many streams (60 swarms), one flooder alone with it in each, from addresses of
  // their own (the per-address connection limit is not what is tested): 60 × 16 offers of 16 KiB
  // are ~15 MB, where three flooders got the viewer cut off after ~8 MB.
  const SENDERS = 60;
  const swarms = Array.from({ length: SENDERS }, (_, i) => id20(`many-${i}`));
  const victimIds = swarms.map((_, i) => id20(`many-victim-${i}`));
  const victim = await connect(tracker);
  for (const [i, swarm] of swarms.entries()) {
    await announce(victim, swarm, victimIds[i]!);
    await sleep(PACE_MS);
  }
  victim.socket.pause();
  const senders = await Promise.all(swarms.map((_, i) => connect(tracker, `127.0.${1 + Math.floor(i / 40)}.${1 + (i % 40)}`)));
  await Promise.all(senders.map(async (sender, i) => {
    await announce(sender, swarms[i]!, id20(`many-sender-${i}`));
    // Within the burst of 40 messages: sent at once, every one an announce answered.
    for (let count = 0; count < PER_PEER; count++) sendAnnounce(sender, swarms[i]!, id20(`many-sender-${i}`), offer(id20(`many-${i}-${count}`)));
    for (let count = 0; count < PER_PEER; count++) await sender.next(isAnnounceResponse(swarms[i]!), 30_000);
  }));

  const after = await stats(tracker);
  assert.equal(after.rejections['slow_reader'], undefined, 'the viewer was cut off');
  assert.equal(after.rejections['offer_flood'], undefined, 'no sender passed its bound');
  assert.ok((after.rejections['receiver_backlogged'] ?? 0) > 0, 'offers were dropped for the viewer\'s backlog');
  assert.ok(senders.every((sender) => sender.closeCode === undefined));

  victim.socket.resume();
  await honestPairing(tracker, victim, victimIds[0]!, swarms[0]!, 'many-honest');
  assert.equal(victim.closeCode, undefined);
});

test('through Redis, a sender on another instance gets no more than its bound of offers to a viewer', { timeout: 120_000 }, async () => {
  const redis = await startRedis();
  redises.push(redis);
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'floods:' };
  const [one, two] = [await start(env), await start(env)];
  const swarm = id20('flood-redis');
  const viewer = await connect(one);
  await announce(viewer, swarm, id20('redis-viewer'));
  const sender = await connect(two);
  await announce(sender, swarm, id20('redis-sender'));
  const extra = 8;
  // Within the burst of 40 messages; the viewer reads but does not answer.
  for (let count = 0; count < PER_PEER + extra; count++) sendAnnounce(sender, swarm, id20('redis-sender'), offer(id20(`redis-${count}`)));
  for (let count = 0; count < PER_PEER + extra; count++) await sender.next(isAnnounceResponse(swarm), 30_000);

  // An honest peer's offer, on the sender's instance, arrives after everything the sender sent.
  const honest = await connect(two);
  const honestIds = [0, 1].map((i) => id20(`redis-honest-${i}`));
  const reaches = viewer.next((frame) => honestIds.includes(frame['offer_id'] as string), 30_000);
  await announce(honest, swarm, id20('redis-honest-peer'), { numwant: 2, offers: honestIds.map((offer_id) => ({ offer_id, offer: { type: 'offer', sdp: 'v=0\r\n' } })) });
  await reaches;
  assert.equal(offersIn(viewer).length, PER_PEER, 'offers past the bound were dropped where the viewer is');
  assert.equal((await stats(one)).rejections['offer_flood'], extra);
});

test('made-up info_hashes joined and left leave at most MAX_LISTED_SWARMS entries in Redis', { timeout: 300_000 }, async () => {
  const redis = await startRedis();
  redises.push(redis);
  const prefix = 'residue:';
  // The message rate only sets how long the flood takes: 50 sockets at the default 20/s list ~500 swarms a second.
  const tracker = await start({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, MAX_MESSAGES_PER_SECOND: '100000' });
  const SOCKETS = 50;
  const perSocket = Math.ceil((MAX_LISTED_SWARMS * 1.05) / SOCKETS);
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => connect(tracker)));
  await Promise.all(sockets.map(async (socket, i) => {
    for (let j = 0; j < perSocket; j++) {
      const infoHash = id20(`junk-${i}-${j}`);
      await announce(socket, infoHash, id20(`junk-peer-${i}`), { event: 'started' });
      await announce(socket, infoHash, id20(`junk-peer-${i}`), { event: 'stopped' });
    }
  }));
  const client = new Redis(redis.url);
  try {
    const listed = await client.zcard(prefix + 'swarms');
    assert.equal(listed, MAX_LISTED_SWARMS, `${SOCKETS * perSocket} made-up swarms joined and left`);
  } finally {
    client.disconnect();
  }
  // A bare scrape still lists the newest.
  sockets[0]!.send({ action: 'scrape' });
  const listing = await sockets[0]!.next((frame) => frame['action'] === 'scrape', 10_000);
  assert.equal(Object.keys(listing['files'] as object).length, defaultConfig.maxScrapeHashes);
});
