/**
 * Graceful shutdown through the wire: SIGTERM makes the tracker say goodbye (1001) to every
 * socket, leave its swarms in the store, close Redis and exit 0; a new process takes the same
 * port at once. Tracker processes run with --unhandled-rejections=strict (@swarmcast/testkit's tracker launcher).
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, test } from 'node:test';
import { id20, isAnnounceResponse, startRedis, startTrackerProcess, WireClient, type RedisServer, type TrackerProcess } from '@swarmcast/testkit';

const processes: TrackerProcess[] = [];
let redis: RedisServer | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await redis?.stop();
});

async function start(env: Record<string, string>): Promise<TrackerProcess> {
  const tracker = await startTrackerProcess(env);
  processes.push(tracker);
  return tracker;
}

async function announce(client: WireClient, infoHash: string, peerId: string): Promise<Record<string, unknown>> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 0 });
  return client.next(isAnnounceResponse(infoHash), 5000);
}

test('SIGTERM: clients see 1001, the process exits 0, a new one serves on the same port at once', { timeout: 60_000 }, async () => {
  const tracker = await start({});
  const port = new URL(tracker.httpUrl).port;
  const swarm = id20('shutdown');
  const viewers = await Promise.all([1, 2, 3].map(() => WireClient.connect(tracker.url)));
  for (const [i, viewer] of viewers.entries()) await announce(viewer, swarm, id20(`down-${i}`));
  // A client that completed the handshake but never reads nor answers the close must not hold the exit.
  const deaf = tcpConnect(Number(port), '127.0.0.1');
  deaf.on('error', () => {});
  deaf.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  deaf.pause();

  await tracker.stop();
  assert.equal(await tracker.exited, 0, tracker.output());
  assert.deepEqual(await Promise.all(viewers.map((viewer) => viewer.closed)), [1001, 1001, 1001]);
  deaf.destroy();

  const successor = await start({ PORT: port });
  assert.equal(successor.url, tracker.url);
  assert.equal((await fetch(successor.httpUrl + '/health')).status, 200);
  const viewer = await WireClient.connect(successor.url);
  assert.equal((await announce(viewer, swarm, id20('down-again')))['incomplete'], 1);
  viewer.close();
});

test('SIGTERM on Redis: the instance leaves its swarms and closes Redis before exiting 0', { timeout: 60_000 }, async () => {
  redis = await startRedis();
  const [leaving, staying] = await Promise.all([start({ REDIS_URL: redis.url }), start({ REDIS_URL: redis.url })]);
  const swarm = id20('shutdown-redis');
  const a = await WireClient.connect(leaving.url);
  const b = await WireClient.connect(staying.url);
  await announce(a, swarm, id20('redis-down-a'));
  assert.equal((await announce(b, swarm, id20('redis-down-b')))['incomplete'], 2);

  await leaving.stop();
  assert.equal(await leaving.exited, 0, leaving.output());
  assert.equal(await a.closed, 1001);
  // Left at once, not after two announce intervals.
  assert.equal((await announce(b, swarm, id20('redis-down-b')))['incomplete'], 1);
  assert.doesNotMatch(leaving.output(), /unhandled|uncaught|ECONNRESET/i);
  b.close();
});
