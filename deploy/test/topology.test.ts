/**
 * The compose topology as plain processes: its own redis-server, the tracker services as
 * `tracker/src/main.ts` processes with the compose environment, the `lb` service's nginx config run
 * by the machine's nginx, and the origin. Viewers join through the load balancer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { startPeer, type PeerEvent, type PeerProcess } from '@swarmcast/loadtest/viewer';
import { buildOrigin, loadConfig as loadOriginConfig } from '@swarmcast/origin';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { buildTracker, loadConfig as loadTrackerConfig } from '@swarmcast/tracker';
import { id20, isAnnounceResponse, isAnswer, isOffer, startRedis, startTrackerProcess, until, webrtcSkip, WireClient, type Frame, type RedisServer, type TrackerProcess } from '@swarmcast/testkit';
import { hostEnv, readCompose, servicesBuiltFrom, withOverlay } from './support/compose.ts';
import { NGINX, startLoadBalancer, type LoadBalancer } from './support/load-balancer.ts';

const nginxMissing = existsSync(NGINX) ? false : `needs nginx at ${NGINX} (apt-get install -y nginx)`;
if (nginxMissing && process.env['CI'] === 'true') throw new Error(nginxMissing);
if (nginxMissing) console.warn(`SKIPPING the deployment topology tests: ${nginxMissing}`);

// WebRTC gathers ICE candidates on every interface: only in a loopback-only namespace, or opted in.
const webrtcOrNginxSkip = nginxMissing || webrtcSkip;

const compose = readCompose();
const tlsCompose = withOverlay(compose, readCompose('deploy/docker-compose.tls.yml'));
const trackerServices = servicesBuiltFrom(compose, 'tracker/Dockerfile');

/** A certificate for localhost made with openssl, as an operator would. */
function selfSignedCertificate(): { cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'swarmcast-cert-'));
  const [cert, key] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key, dir };
}

function announce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 5, uploaded: 0, downloaded: 0, ...extra });
  return client.next(isAnnounceResponse(infoHash), 5000);
}

async function stats(tracker: TrackerProcess): Promise<{ connections: number }> {
  return (await fetch(`${tracker.httpUrl}/stats`)).json() as Promise<TrackerStats>;
}

/** Polls a tracker's /stats (no rate limit there), briskly. */
const STATS_POLL = { timeoutMs: 5000, intervalMs: 50 };

describe('the compose topology as processes', { skip: nginxMissing }, () => {
  let redis: RedisServer;
  let trackers: TrackerProcess[] = [];
  let lb: LoadBalancer;
  let tlsLb: LoadBalancer;
  let origin: FastifyInstance;
  let originUrl: string;
  const certificate = selfSignedCertificate();
  const clients: WireClient[] = [];

  /** A viewer's socket through the load balancer, from its own loopback address. */
  async function viewer(address: string, headers: Record<string, string> = {}): Promise<WireClient> {
    const client = await WireClient.connect(lb.url, { localAddress: address, headers });
    clients.push(client);
    return client;
  }
  const connections = () => Promise.all(trackers.map(async (tracker) => (await stats(tracker)).connections));
  async function closeViewers(): Promise<void> {
    for (const client of clients.splice(0)) client.close();
    await until(async () => (await connections()).every((count) => count === 0), 'viewers gone', STATS_POLL);
  }

  before(async () => {
    redis = await startRedis();
    trackers = await Promise.all(
      trackerServices.map(([, service]) => {
        const { PORT: _port, HOST: _host, ...env } = service.environment ?? {};
        // One connection per address per instance, so the X-Forwarded-For test can count.
        return startTrackerProcess({ ...env, REDIS_URL: redis.url, MAX_CONNECTIONS_PER_IP: '1' });
      }),
    );
    const upstreams = Object.fromEntries(
      trackerServices.map(([name, service], i) => [`${name}:${service.environment?.['PORT'] ?? '8000'}`, trackers[i]!.httpUrl.replace('http://', '')]),
    );
    lb = await startLoadBalancer(compose.services['lb']!, { upstreams });
    tlsLb = await startLoadBalancer(tlsCompose.services['lb']!, { upstreams, tls: certificate });
    const [, originService] = servicesBuiltFrom(compose, 'origin/Dockerfile')[0]!;
    origin = buildOrigin({ ...loadOriginConfig(hostEnv(originService)).origin, logger: false });
    await origin.listen({ host: '127.0.0.1', port: 0 });
    originUrl = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const client of clients) client.close();
    await lb?.stop();
    await tlsLb?.stop();
    await Promise.all(trackers.map((tracker) => tracker.stop()));
    await redis?.stop();
    await origin?.close();
    rmSync(certificate.dir, { recursive: true, force: true });
  });

  test('two viewers joining through the load balancer land on different instances and pair', async () => {
    const swarm = id20('compose-pair');
    const [aId, bId] = [id20('compose-a'), id20('compose-b')];
    const a = await viewer('127.0.0.11');
    const b = await viewer('127.0.0.12');
    await until(async () => (await connections()).join() === '1,1', 'one viewer on each instance', STATS_POLL);
    assert.equal((await announce(a, swarm, aId))['incomplete'], 1);
    const incoming = a.next(isOffer, 5000);
    assert.equal((await announce(b, swarm, bId, { numwant: 1, offers: [{ offer_id: id20('compose-o'), offer: { type: 'offer', sdp: 'v=0' } }] }))['incomplete'], 2);
    const offer = await incoming;
    assert.deepEqual([offer['peer_id'], offer['offer_id']], [bId, id20('compose-o')]);
    a.send({ action: 'announce', info_hash: swarm, peer_id: aId, to_peer_id: bId, offer_id: offer['offer_id'], answer: { type: 'answer', sdp: 'v=0 a' } });
    const answer = await b.next(isAnswer, 5000);
    assert.deepEqual([answer['peer_id'], answer['answer']], [aId, { type: 'answer', sdp: 'v=0 a' }]);
    await closeViewers();
  });

  test("the viewer's region header reaches the trackers: peers of one region are picked first", async () => {
    const swarm = id20('compose-region');
    const eu = await viewer('127.0.0.21', { 'x-swarmcast-region': 'eu-west' });
    const us = await viewer('127.0.0.22', { 'x-swarmcast-region': 'us-east' });
    const joiner = await viewer('127.0.0.23', { 'x-swarmcast-region': 'eu-west' });
    await announce(eu, swarm, id20('region-eu'));
    await announce(us, swarm, id20('region-us'));
    for (let round = 0; round < 4; round++) {
      const offerId = id20(`region-o${round}`);
      const atEu = eu.next((frame) => frame['offer_id'] === offerId, 5000);
      await announce(joiner, swarm, id20('region-joiner'), { numwant: 1, offers: [{ offer_id: offerId, offer: { type: 'offer', sdp: 'v=0' } }] });
      await atEu;
    }
    assert.equal(us.frames.filter(isOffer).length, 0, 'no offer went to the other region');
    await closeViewers();
  });

  test("X-Forwarded-For carries the viewer's address, and a viewer cannot choose it", async () => {
    // Three addresses, two instances, one connection per address each: fits only if every
    // tracker sees the viewer's address rather than the load balancer's.
    const first = await viewer('127.0.0.31');
    await viewer('127.0.0.32');
    await viewer('127.0.0.33');
    // The same viewer twice more, claiming other addresses: one of the three sockets from
    // 127.0.0.31 shares an instance with another, which refuses it.
    const forged = await Promise.allSettled(
      ['10.1.1.1', '10.2.2.2'].map((claimed) => viewer('127.0.0.31', { 'x-forwarded-for': claimed })),
    );
    assert.ok(forged.some((result) => result.status === 'rejected' && /429/.test(String(result.reason))), 'a forged X-Forwarded-For is replaced');
    assert.equal(first.closeCode, undefined);
    await closeViewers();
  });

  test('wss:// at the load balancer (tracker-lb-tls.conf) with a certificate made by openssl', async () => {
    const swarm = id20('compose-tls');
    const client = await WireClient.connect(tlsLb.tlsUrl!, { ca: readFileSync(certificate.cert), localAddress: '127.0.0.41' });
    clients.push(client);
    assert.equal((await announce(client, swarm, id20('tls-a')))['incomplete'], 1);
    await closeViewers();
  });

  test('two p2p-media-loader viewers on different instances exchange a segment of the origin\'s stream', { skip: webrtcOrNginxSkip, timeout: 60_000 }, async () => {
    const playlist = `${originUrl}/vod/sample/240p/index.m3u8`;
    const hashes = (await (await fetch(`${originUrl}/vod/sample/segments-sha256.json`)).json()) as Record<string, string>;
    const options = {
      trackers: [lb.url],
      manifestUrl: playlist,
      segments: [0, 1, 2].map((index) => ({ url: `${originUrl}/vod/sample/240p/seg_00${index}.ts`, startTime: index * 2, endTime: index * 2 + 2 })),
    };
    const peers: PeerProcess[] = [];
    const load = async (peer: PeerProcess, index: number) => {
      peer.send({ cmd: 'load', index });
      const event = await peer.waitFor((e) => (e.event === 'segment' || e.event === 'segment-error') && e.index === index, 20_000);
      assert.equal(event.event, 'segment', `${peer.name}: ${peer.describe()}`);
      return event as Extract<PeerEvent, { event: 'segment' }>;
    };
    try {
      const seeder = await startPeer('seeder', options);
      peers.push(seeder);
      for (const index of [0, 1, 2]) assert.equal((await load(seeder, index)).source, 'http');
      const leecher = await startPeer('leecher', { ...options, core: { httpDownloadInitialTimeoutMs: 60_000 } });
      peers.push(leecher);
      for (const index of [0, 1, 2]) {
        const segment = await load(leecher, index);
        assert.equal(segment.source, 'p2p', `segment ${index} from the other viewer`);
        assert.equal(segment.sha256, hashes[`240p/seg_00${index}.ts`]);
      }
      // A viewer opens its tracker socket with its first request.
      assert.deepEqual(await connections(), [1, 1], 'seeder and leecher on different instances');
    } finally {
      await Promise.all(peers.map((peer) => peer.close()));
    }
  });
});

describe('TLS directly on the services (TLS_CERT, TLS_KEY)', () => {
  const certificate = selfSignedCertificate();
  const tlsEnv = { TLS_CERT: certificate.cert, TLS_KEY: certificate.key };
  after(() => rmSync(certificate.dir, { recursive: true, force: true }));

  test('the tracker answers a wss:// announce', async () => {
    const tracker = await buildTracker({ ...loadTrackerConfig({ ...tlsEnv, HOST: '127.0.0.1' }), logger: false });
    await tracker.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = tracker.server.address() as AddressInfo;
      const client = await WireClient.connect(`wss://localhost:${port}/announce`, { ca: readFileSync(certificate.cert) });
      const swarm = id20('direct-tls');
      assert.equal((await announce(client, swarm, id20('direct-a')))['incomplete'], 1);
      client.close();
    } finally {
      await tracker.close();
    }
  });

  test('the origin answers https:// with the configured certificate', async () => {
    const origin = buildOrigin({ ...loadOriginConfig(tlsEnv).origin, logger: false });
    await origin.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = origin.server.address() as AddressInfo;
      const { status, fingerprint } = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
        get({ host: '127.0.0.1', servername: 'localhost', port, path: '/health', ca: readFileSync(certificate.cert) }, (response) => {
          response.resume();
          resolve({ status: response.statusCode!, fingerprint: (response.socket as TLSSocket).getPeerCertificate().fingerprint256 });
        }).on('error', reject);
      });
      assert.equal(status, 200);
      assert.equal(fingerprint, new X509Certificate(readFileSync(certificate.cert)).fingerprint256);
    } finally {
      await origin.close();
    }
  });
});
