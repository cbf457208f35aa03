/**
 * Several tracker processes sharing swarms through Redis, one node or a cluster: signaling
 * crosses instances, a killed instance's peers expire, and Redis faults fail messages, not the
 * tracker. Every tracker is a real `main.ts` process configured by its environment.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { id20, isAnnounceResponse, isAnswer, isFailure, isOffer, runTracker, startRedis, startRedisCluster, startTrackerProcess, until, WireClient, type Frame, type TrackerProcess } from '@swarmcast/testkit';
import { Redis } from 'ioredis';

/** Short, so a killed instance's peers expire (after two intervals) within the test. */
const ANNOUNCE_INTERVAL = '1';

const offers = (from: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ offer_id: id20(`${from}-o${i}`), offer: { type: 'offer', sdp: `v=0\r\na=${from}-${i}\r\n` } }));

function announce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 5, uploaded: 0, downloaded: 0, ...extra });
  return client.next((frame) => frame['info_hash'] === infoHash && (isAnnounceResponse(infoHash)(frame) || isFailure(frame)));
}

async function incomplete(client: WireClient, infoHash: string): Promise<number> {
  client.send({ action: 'scrape', info_hash: infoHash });
  const frame = await client.next((f) => f['action'] === 'scrape');
  return (frame['files'] as Record<string, { incomplete: number }>)[infoHash]!.incomplete;
}

/** `offerer` sends one offer; `answerer`, on whichever instance, gets it and answers back. */
async function pair(offerer: WireClient, offererId: string, answerer: WireClient, answererId: string, infoHash: string, label: string) {
  const incoming = answerer.next(isOffer);
  await announce(offerer, infoHash, offererId, { numwant: 1, offers: offers(label, 1) });
  const offer = await incoming;
  assert.deepEqual([offer['peer_id'], offer['offer_id'], offer['info_hash']], [offererId, id20(`${label}-o0`), infoHash]);
  answerer.send({ action: 'announce', info_hash: infoHash, peer_id: answererId, to_peer_id: offererId, offer_id: offer['offer_id'], answer: { type: 'answer', sdp: label } });
  const answer = await offerer.next(isAnswer);
  assert.deepEqual([answer['peer_id'], answer['offer_id'], answer['answer']], [answererId, offer['offer_id'], { type: 'answer', sdp: label }]);
}

function session() {
  const clients: WireClient[] = [];
  const trackers: TrackerProcess[] = [];
  return {
    connect: async (tracker: TrackerProcess) => {
      const client = await WireClient.connect(tracker.url);
      clients.push(client);
      return client;
    },
    start: async (env: Record<string, string>) => {
      const tracker = await startTrackerProcess({ ANNOUNCE_INTERVAL, ...env });
      trackers.push(tracker);
      return tracker;
    },
    close: async () => {
      for (const client of clients) client.close();
      await Promise.all(trackers.map((tracker) => tracker.kill()));
    },
  };
}

interface Backend {
  env: Record<string, string>;
  /** On a cluster: how many nodes hold keys. */
  nodesWithKeys?: () => number;
  stop(): Promise<void>;
}

function instancesSuite(name: string, startBackend: () => Promise<Backend>) {
  describe(`two tracker processes on ${name}`, () => {
    const s = session();
    let backend: Backend | undefined;
    let one: TrackerProcess;
    let two: TrackerProcess;
    before(async () => {
      backend = await startBackend();
      [one, two] = await Promise.all([s.start(backend.env), s.start(backend.env)]);
    });
    after(async () => {
      await s.close();
      await backend?.stop();
    });

    test('peers on different instances receive each other\'s offers and answers', async () => {
      // Binary ids as bittorrent clients send them, newlines and braces included: they cross
      // Redis keys, Lua and the channel's header line unchanged.
      const swarm = id20('\n{swarm}\u0000\u00ffcross');
      const [aId, bId] = [id20('\u00e9\nA\u0001'), id20('}\r\nB\u0080')];
      const a = await s.connect(one);
      const b = await s.connect(two);
      assert.equal((await announce(a, swarm, aId))['incomplete'], 1);
      assert.equal((await announce(b, swarm, bId))['incomplete'], 2, 'one swarm across both instances');
      await pair(b, bId, a, aId, swarm, 'cross-1');
      await pair(a, aId, b, bId, swarm, 'cross-2');
    });

    test('a third peer on either instance reaches both', async () => {
      const swarm = id20('swarm-third');
      const a = await s.connect(one);
      const b = await s.connect(two);
      await announce(a, swarm, id20('third-a'));
      await announce(b, swarm, id20('third-b'));
      for (const [i, instance] of [one, two].entries()) {
        const c = await s.connect(instance);
        const cId = id20(`third-c${i}`);
        const incoming = [a.next(isOffer), b.next(isOffer)];
        const response = await announce(c, swarm, cId, { offers: offers(`third${i}`, 2) });
        assert.equal(response['incomplete'], 3);
        const received = await Promise.all(incoming);
        assert.deepEqual(received.map((offer) => offer['peer_id']), [cId, cId]);
        assert.deepEqual(received.map((offer) => offer['offer_id']).sort(), [id20(`third${i}-o0`), id20(`third${i}-o1`)]);
        await announce(c, swarm, cId, { event: 'stopped' });
      }
      assert.equal(await incomplete(b, swarm), 2, 'the swarm is the same seen from the other instance');
    });

    test('spreads swarms over the store and lists them all in a bare scrape', async () => {
      const swarms = Array.from({ length: 6 }, (_, i) => id20(`swarm-list-${i}`));
      const a = await s.connect(one);
      const b = await s.connect(two);
      for (const [i, swarm] of swarms.entries()) await announce(i % 2 ? a : b, swarm, id20(`list-${i}`));
      b.send({ action: 'scrape' });
      const files = (await b.next((f) => f['action'] === 'scrape'))['files'] as Record<string, { incomplete: number }>;
      for (const swarm of swarms) assert.equal(files[swarm]?.incomplete, 1, `${swarm} listed`);
      if (backend!.nodesWithKeys) assert.ok(backend!.nodesWithKeys() >= 2, 'swarms live on several cluster nodes');
    });

    test('a killed instance\'s peers leave every swarm within an expiry period; the others keep pairing', async () => {
      const swarms = [id20('swarm-kill-1'), id20('swarm-kill-2')];
      const doomed = await s.connect(one);
      const [p, q] = [await s.connect(two), await s.connect(two)];
      for (const swarm of swarms) {
        await announce(doomed, swarm, id20('kill-x'));
        await announce(p, swarm, id20('kill-p'));
        assert.equal((await announce(q, swarm, id20('kill-q')))['incomplete'], 3);
      }
      await one.kill();
      // Survivors re-announce as clients do; the dead instance's peer is never refreshed again.
      await until(async () => {
        let remaining = 0;
        for (const swarm of swarms) {
          await announce(p, swarm, id20('kill-p'));
          await announce(q, swarm, id20('kill-q'));
          remaining += await incomplete(q, swarm);
        }
        return remaining === 4;
      }, 'the killed instance\'s peer expires from both swarms', { timeoutMs: 6000 });
      await pair(q, id20('kill-q'), p, id20('kill-p'), swarms[0]!, 'kill');
    });
  });
}

instancesSuite('one Redis node', async () => {
  const redis = await startRedis();
  return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
});

instancesSuite('a Redis Cluster', async () => {
  const cluster = await startRedisCluster();
  return { env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, nodesWithKeys: () => cluster.nodesWithKeys(), stop: () => cluster.stop() };
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('Redis connections', () => {
  test('a tracker process holds two connections to one Redis node: its client, for swarms and telemetry alike, and the swarm subscriber', async () => {
    const redis = await startRedis();
    const s = session();
    const probe = new Redis(redis.url);
    try {
      await s.start({ REDIS_URL: redis.url });
      const own = await probe.client('ID');
      const list = (await probe.client('LIST')) as string;
      const trackers = list.trim().split('\n').filter((line) => !line.startsWith(`id=${own} `));
      assert.equal(trackers.length, 2, list);
      assert.equal(trackers.filter((line) => / sub=1 /.test(line)).length, 1, `one subscribed to the instance's channel:\n${list}`);
    } finally {
      probe.disconnect();
      await s.close();
      await redis.stop();
    }
  });
});

describe('Redis faults', () => {
  test('refuses to start when Redis is unreachable, naming the variable', async () => {
    const port = await closedPort();
    const single = runTracker({ REDIS_URL: `redis://127.0.0.1:${port}`, PORT: '0' });
    assert.equal(await single.exited, 1);
    assert.match(single.output(), new RegExp(`tracker not started: .*REDIS_URL=redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    const cluster = runTracker({ REDIS_CLUSTER_NODES: `127.0.0.1:${port}`, PORT: '0' });
    assert.equal(await cluster.exited, 1);
    assert.match(cluster.output(), new RegExp(`tracker not started: .*REDIS_CLUSTER_NODES=127\\.0\\.0\\.1:${port}`));
  });

  test('Redis lost mid-run: announces fail with a reason, nothing crashes, swarms come back after a restart', async () => {
    const redis = await startRedis();
    const s = session();
    try {
      const env = { REDIS_URL: redis.url };
      const [one, two] = await Promise.all([s.start(env), s.start(env)]);
      const swarm = id20('fault-restart');
      const a = await s.connect(one);
      const b = await s.connect(two);
      await announce(a, swarm, id20('fault-a'));
      await announce(b, swarm, id20('fault-b'));
      await pair(b, id20('fault-b'), a, id20('fault-a'), swarm, 'before');

      await redis.kill();
      const refused = await announce(a, swarm, id20('fault-a'));
      assert.match(String(refused['failure reason']), /temporarily unavailable/);
      const health = await fetch(one.httpUrl + '/health');
      assert.equal(health.status, 503);
      // Nothing of the Redis error (its address, its words) reaches whoever asks.
      const body = await health.text();
      assert.doesNotMatch(body, /127\.0\.0\.1|ECONNREFUSED|Connection is closed|redis:\/\/|:\d{4,5}/i, body);
      const stats = (await (await fetch(two.httpUrl + '/stats')).json()) as TrackerStats;
      assert.equal(stats.peers, 1, 'metrics still answer, from what this instance holds');

      // Redis comes back empty; the peers' next announces rebuild the swarm.
      await redis.restart();
      await until(async () => {
        const [ra, rb] = [await announce(a, swarm, id20('fault-a')), await announce(b, swarm, id20('fault-b'))];
        return !isFailure(ra) && !isFailure(rb) && rb['incomplete'] === 2;
      }, 'announces succeed again', { timeoutMs: 5000 });
      // The channels are subscribed again too, so signaling crosses instances once more.
      await until(async () => {
        const incoming = a.next(isOffer, 500);
        await announce(b, swarm, id20('fault-b'), { numwant: 1, offers: offers('probe', 1) });
        return incoming.then(() => true, () => false);
      }, 'offers cross instances again', { timeoutMs: 5000 });
      await pair(a, id20('fault-a'), b, id20('fault-b'), swarm, 'after');
      assert.equal((await fetch(one.httpUrl + '/health')).status, 200);
      for (const tracker of [one, two]) {
        assert.equal(await Promise.race([tracker.exited, Promise.resolve('running')]), 'running', tracker.output());
      }
    } finally {
      await s.close();
      await redis.stop();
    }
  });
});
