/**
 * Fuzz: 100,000 randomised, structure-aware malformed frames over 50 connections (plus raw TCP
 * sockets writing broken WebSocket framing) against a tracker process, while honest peers keep
 * announcing and relaying offers and answers. The process must survive (it runs with
 * --unhandled-rejections=strict), every honest relay must arrive, and the heap must come back to
 * near its baseline once the fuzzers are gone (read after a full collection, so heap figures are
 * live objects).
 *
 * The message rate and per-address limits are raised for this process so that every frame is
 * parsed rather than most connections being cut off at the 41st frame (the default limits have
 * their own tests in conformance.test.ts); the frame-size limit stays at its default, so
 * oversized frames close their socket with 1009 and invalid UTF-8 with 1007, and the fuzzer
 * reconnects.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { id20, isAnnounceResponse, isAnswer, isOffer, startTrackerProcess, waitFor, WireClient, type TrackerProcess } from '@swarmcast/testkit';

const FRAMES = 100_000;
const CONNECTIONS = 50;
const RAW_SOCKETS = 20;
const HONEST_PAIRS = 4;
/** Heap growth tolerated after the fuzzers leave, measured after a full GC (the testkit's heap probe). */
const HEAP_TOLERANCE_BYTES = 8 * 1024 * 1024;

/** Mulberry32: the same seed gives the same frames, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Frame = { text: string } | { bytes: Buffer; binary: boolean };

function frameMaker(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: T[]): T => items[int(items.length)]!;
  const chars = (n: number, max: number) => Array.from({ length: n }, () => String.fromCodePoint(int(max))).join('');
  const anyId = () =>
    pick<unknown>([chars(20, 0x100), chars(19, 0x100), chars(21, 0x100), chars(20, 0x10ffff).replace(/[\ud800-\udfff]/g, 'x'), chars(20, 0xd800), '', null, 7, [], {}, chars(int(100), 0x100)]);
  const anyValue = (): unknown => pick<unknown>([null, true, -1, 1e308, 0.5, '', 'x'.repeat(int(200)), [], {}, anyId(), [anyId(), anyId()]]);
  const sdp = () => pick<unknown>([{ type: 'offer', sdp: 'v=0' }, { type: 'answer', sdp: 'v=0' }, { type: 'offer' }, { sdp: 5 }, 'v=0', null, { type: 'offer', sdp: 'x'.repeat(int(500)) }]);
  const announce = (): Record<string, unknown> => ({
    action: 'announce',
    info_hash: anyId(),
    peer_id: anyId(),
    numwant: pick<unknown>([5, -1, 1001, 2.5, '5', null]),
    event: pick<unknown>(['started', 'stopped', 'completed', 'exploded', 3, undefined]),
    offers: pick<unknown>([undefined, [], 'x', [{ offer_id: anyId(), offer: sdp() }], Array.from({ length: int(15) }, () => ({ offer_id: anyId(), offer: sdp() }))]),
  });
  const deep = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
  const shapes: Array<() => Frame> = [
    () => ({ text: JSON.stringify(announce()) }),
    () => {
      const message = announce();
      delete message[pick(['action', 'info_hash', 'peer_id'])];
      return { text: JSON.stringify(message) };
    },
    () => ({ text: JSON.stringify({ action: 'announce', info_hash: anyId(), peer_id: anyId(), to_peer_id: anyId(), offer_id: anyId(), answer: sdp() }) }),
    () => ({ text: JSON.stringify({ action: pick(['scrape', 'announce', 'connect', '', null, 1]), info_hash: pick([anyId(), Array.from({ length: int(30) }, anyId)]) }) }),
    () => ({ text: JSON.stringify({ ...announce(), [pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty'])]: anyValue() }) }),
    () => ({ text: `{"action":"announce","info_hash":${JSON.stringify(chars(20, 0x100))},"__proto__":{"peer_id":"polluted..........."}}` }),
    () => ({ text: JSON.stringify(announce()).slice(0, int(80)) }),
    () => ({ text: chars(int(200), 0x10ffff).replace(/[\ud800-\udfff]/g, '?') }),
    () => ({ text: pick(['', 'null', '0', '"announce"', '[]', '{}', 'true', '{"action":"announce"}', '\u0000', '1e999999']) }),
    () => ({ bytes: Buffer.from(Array.from({ length: int(500) }, () => int(256))), binary: true }),
  ];
  // Less often: huge arrays and deep nesting, up to ~60 KB (under MAX_FRAME_BYTES).
  const huge: Array<() => Frame> = [
    () => ({ text: JSON.stringify(Array.from({ length: int(8000) }, () => 0)) }),
    () => ({ text: JSON.stringify({ action: 'announce', info_hash: chars(20, 0x100), peer_id: chars(20, 0x100), offers: Array.from({ length: int(3000) }, () => 1) }) }),
    () => ({ text: deep(int(30_000), '[', ']') }),
    () => {
      const depth = int(10_000);
      return { text: `{"action":"announce","x":${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}}` };
    },
  ];
  // Rare: each closes the socket (1007 invalid UTF-8, 1009 over MAX_FRAME_BYTES).
  const closing: Array<() => Frame> = [
    () => ({ bytes: Buffer.concat([Buffer.from('{"action":"announce","info_hash":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), binary: false }),
    () => ({ bytes: Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), binary: false }),
    () => ({ text: JSON.stringify({ action: 'announce', pad: 'x'.repeat(70_000) }) }),
  ];
  return () => {
    const roll = random();
    return (roll < 0.002 ? pick(closing) : roll < 0.02 ? pick(huge) : pick(shapes))();
  };
}

/** Opens a WebSocket, sends `count` fuzz frames paced by the socket's buffer, reconnecting when the tracker closes it. */
async function fuzzConnection(url: string, count: number, next: () => Frame, sent: { frames: number; closes: number }): Promise<void> {
  let left = count;
  while (left > 0) {
    const socket = new WebSocket(url);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.once('open', async () => {
        while (left > 0 && socket.readyState === socket.OPEN) {
          const frame = next();
          if ('text' in frame) socket.send(frame.text);
          else socket.send(frame.bytes, { binary: frame.binary });
          left--;
          sent.frames++;
          if (socket.bufferedAmount > 256 * 1024 || left % 64 === 0) await new Promise((r) => setImmediate(r));
        }
        if (socket.readyState === socket.OPEN) socket.close(1000);
        else sent.closes++;
      });
    });
  }
}

/** Raw TCP: a real upgrade, then broken framing (reserved bits, bad opcodes, unmasked, truncated), or no handshake at all. */
async function rawSocket(port: number, random: () => number): Promise<void> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume(); // replies are read and dropped, so the tracker's end of the socket is seen
  const handshake = random() < 0.8;
  await new Promise((resolve) => socket.once('connect', resolve));
  if (handshake) {
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const garbage = Buffer.from(Array.from({ length: 64 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256)));
  if (handshake && random() < 0.5) garbage[0] = 0x81; // a text frame header, then nonsense lengths and masks
  socket.end(garbage);
  await new Promise((resolve) => socket.once('close', resolve));
}

/** Two honest peers relaying one offer and its answer through the tracker; returns relays completed. */
async function honestPair(url: string, index: number, rounds: number, stopAt: () => boolean): Promise<number> {
  const swarm = id20(`honest-${index}`);
  const [a, b] = await Promise.all([WireClient.connect(url), WireClient.connect(url)]);
  const announce = async (client: WireClient, peerId: string, extra: Record<string, unknown> = {}) => {
    client.send({ action: 'announce', info_hash: swarm, peer_id: peerId, numwant: 1, ...extra });
    await client.next(isAnnounceResponse(swarm), 10_000);
  };
  await announce(b, id20(`honest-b${index}`));
  let relays = 0;
  for (let round = 0; round < rounds && !(stopAt() && round > 0); round++) {
    const offerId = id20(`h${index}-${round}`);
    await announce(a, id20(`honest-a${index}`), { offers: [{ offer_id: offerId, offer: { type: 'offer', sdp: `v=0 round ${round}` } }] });
    const offer = await b.next(isOffer, 10_000);
    assert.equal(offer['offer_id'], offerId);
    b.send({ action: 'announce', info_hash: swarm, peer_id: id20(`honest-b${index}`), to_peer_id: id20(`honest-a${index}`), offer_id: offerId, answer: { type: 'answer', sdp: `v=0 answer ${round}` } });
    const answer = await a.next(isAnswer, 10_000);
    assert.equal(answer['offer_id'], offerId);
    relays++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  a.close();
  b.close();
  return relays;
}

let tracker: TrackerProcess | undefined;
after(() => tracker?.stop());

test('survives 100k malformed frames while honest peers keep relaying', { timeout: 120_000 }, async (t) => {
  tracker = await startTrackerProcess({ MAX_MESSAGES_PER_SECOND: '1000000', MAX_CONNECTIONS_PER_IP: '1000' }, { heapProbe: true });
  const port = Number(new URL(tracker.httpUrl).port);
  const random = prng(0x5eed);
  const next = frameMaker(random);

  // Warm up (JIT, ajv, pools) before the baseline, so the comparison is about what the fuzz leaves behind.
  await fuzzConnection(tracker.url, 5_000, next, { frames: 0, closes: 0 });
  const { memory: baseline } = await tracker.collectGarbage();
  const heapBefore = baseline.heapUsed;

  const sent = { frames: 0, closes: 0 };
  let fuzzing = true;
  const honest = Array.from({ length: HONEST_PAIRS }, (_, i) => honestPair(tracker!.url, i, 1000, () => !fuzzing));
  const fuzzers = Array.from({ length: CONNECTIONS }, () => fuzzConnection(tracker!.url, FRAMES / CONNECTIONS, next, sent));
  const raw = Array.from({ length: RAW_SOCKETS }, () => rawSocket(port, random));
  await Promise.all([...fuzzers, ...raw]);
  fuzzing = false;
  const relays = await Promise.all(honest);

  assert.equal(sent.frames, FRAMES);
  assert.ok(relays.every((count) => count > 0), `every honest pair relayed: ${relays.join(', ')}`);
  assert.equal((await fetch(tracker.httpUrl + '/health')).status, 200);
  const stats = (await (await fetch(tracker.httpUrl + '/stats')).json()) as TrackerStats;
  assert.ok(stats.answersRelayed >= relays.reduce((sum, n) => sum + n, 0));

  // The fuzzers' sockets close on the tracker's side a little after ours.
  await waitFor(
    async () => (await (await fetch(tracker!.httpUrl + '/stats')).json()) as TrackerStats,
    (stats) => stats.connections === 0 && stats.peers === 0,
    { timeoutMs: 20_000, intervalMs: 500 },
  );
  const { memory: settled } = await tracker.collectGarbage();
  const heapAfter = settled.heapUsed;
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
  t.diagnostic(`frames ${sent.frames} (+5000 warm-up), sockets closed by the tracker ${sent.closes}, honest relays ${relays.join('/')}`);
  t.diagnostic(`heap used ${mb(heapBefore)} → ${mb(heapAfter)}, RSS ${mb(baseline.rss)} → ${mb(settled.rss)}; rejections ${JSON.stringify(stats.rejections)}`);
  assert.ok(heapAfter <= heapBefore + HEAP_TOLERANCE_BYTES, `heap back near baseline: ${mb(heapBefore)} → ${mb(heapAfter)}`);
  assert.equal(tracker.output().match(/unhandled|uncaught|FATAL/i), null, tracker.output().slice(-2000));
});
