// Child process entry: a share of the load's WebSocket peers, driven over IPC by load-fleet.ts.
// Each peer is one socket in one swarm. In `loop` mode it announces with offers again when the
// previous announce is answered — at once (closed loop) or `thinkMs` later (a viewer's cadence) —
// and answers every offer relayed to it; in `idle` mode it announces once and stays connected.
// A sample of the peers can also poll the tracker's `/coordination` as the player SDK does.
import { performance } from 'node:perf_hooks';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import WebSocket from 'ws';
import { pollCoordination } from './coordination-poll.ts';
import {
  FAILURE_REASON_KEY,
  OFFER_ID_KEY,
  PEER_ID_KEY,
  announceFrameBuilder,
  answerFrameBuilder,
  infoHashOf,
  kindOf,
  offerIdOf,
  peerIdOf,
  sdpOf,
  sequenceOfOfferId,
  stringField,
} from './signaling-frames.ts';

export interface LoadPlan {
  mode: 'loop' | 'idle';
  /** Tracker instances; peers of one swarm are spread over them (see `urlOf`). */
  urls: string[];
  /** This process's peers are numbers firstPeer … firstPeer + peerCount - 1; peer p is in swarm p % swarms. */
  firstPeer: number;
  peerCount: number;
  swarms: number;
  /**
   * Source addresses; peer p uses localAddresses[p % length]. Several processes can so open more
   * sockets than one address has ports, and stay under a tracker's connections-per-address limit.
   */
  localAddresses: string[];
  /** Offers per announce in `loop` mode (numwant is the same); `idle` peers send none and numwant 0. */
  offersPerAnnounce: number;
  /** Pause between an announce's response and the next announce; the first one after `run` comes at a random point within it. */
  thinkMs: number;
  /** Sockets being opened (or awaiting their first response) at once. */
  connectConcurrency: number;
  /** Joined peers that also poll `GET /coordination` on their tracker while running; none if unset. */
  coordination?: CoordinationPolling;
}

export interface CoordinationPolling {
  /** Share of the peers that poll, in [0, 1]; which ones is a hash of the peer number, so every instance and address gets its share. */
  share: number;
  /** Between an answer and the next poll; the first comes at a random point within it. */
  everyMs: number;
}

export type LoadCommand =
  | { cmd: 'connect'; plan: LoadPlan }
  | { cmd: 'run' }
  | { cmd: 'mark' }
  | { cmd: 'report' };

/** Counters since the last `mark` or `report`. */
export interface LoadReport {
  windowMs: number;
  /** Sockets open now. */
  open: number;
  /** Announce responses received. */
  announces: number;
  failures: number;
  firstFailure: string | undefined;
  /** Failure frames by their `failure reason`. */
  failuresByReason: Record<string, number>;
  /** Sockets that closed after joining, by close code. */
  closesByCode: Record<string, number>;
  offersRelayed: number;
  answersRelayed: number;
  disconnects: number;
  /** Announce sent → its response received. */
  announceLatencyMs: Float64Array;
  /** Announce with offers sent → an answer to one of them received (two relays and a peer's turn). */
  relayLatencyMs: Float64Array;
  /** `/coordination` answers with status 200 (polling peers only). */
  coordinationAnswers: number;
  /** Of them, those with `rank: null`: the tracker did not find a joined peer in its stream. */
  coordinationNotMember: number;
  /** Polls that got no 200, by HTTP status or socket error code. */
  coordinationFailures: Record<string, number>;
  /** Poll sent → its whole answer received, 200s only. */
  coordinationLatencyMs: Float64Array;
}

export type LoadEvent =
  | { evt: 'ready' }
  | { evt: 'connecting'; connected: number; failed: number }
  | { evt: 'connected'; connected: number; failed: number; firstError: string | undefined; elapsedMs: number }
  | { evt: 'marked' }
  | { evt: 'report'; report: LoadReport };

type AnnounceOutcome = 'accepted' | 'refused';

/** Announce send times are kept for this many announces back; older answers are not timed. */
const SENT_AT_SLOTS = 64;

class Samples {
  private values = new Float64Array(1 << 16);
  private length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  take(): Float64Array {
    const taken = this.values.slice(0, this.length);
    this.length = 0;
    return taken;
  }
}

const counters = {
  markedAt: performance.now(),
  announces: 0,
  failures: 0,
  firstFailure: undefined as string | undefined,
  failuresByReason: new Map<string, number>(),
  closesByCode: new Map<number, number>(),
  offersRelayed: 0,
  answersRelayed: 0,
  disconnects: 0,
  announceLatency: new Samples(),
  relayLatency: new Samples(),
  coordinationAnswers: 0,
  coordinationNotMember: 0,
  coordinationFailures: new Map<string, number>(),
  coordinationLatency: new Samples(),
};

let running = false;
let open = 0;
const peers: Peer[] = [];

const increment = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

function urlOf(plan: LoadPlan, peer: number): string {
  // Consecutive "rounds" of swarms go to consecutive instances, so every swarm spans all of them.
  return plan.urls[Math.floor(peer / plan.swarms) % plan.urls.length] as string;
}

/** Whether peer `number` is among the `share` that poll: a multiplicative hash, not `number % k`, which would skip instances. */
function polls(number: number, share: number): boolean {
  return (Math.imul(number, 0x9e3779b1) >>> 0) / 2 ** 32 < share;
}

class Peer {
  readonly socket: WebSocket;
  private sequence = 0;
  private readonly sentAt = new Float64Array(SENT_AT_SLOTS);
  private awaitingResponse = false;
  private readonly offerIds: string[];
  private readonly buildAnnounce: (offerIds: string[], started: boolean) => string;
  private readonly buildAnswer: (toPeerId: string, offerId: string) => string;
  /** Its `/coordination` URL, if it is one of the polling peers. */
  private readonly coordinationUrl: string | undefined;
  private readonly localAddress: string;
  private accepted = false;
  private polling = false;

  constructor(
    private readonly plan: LoadPlan,
    private readonly number: number,
    private readonly onFirstResponse: () => void,
    private readonly onFailedToJoin: (reason: string) => void,
  ) {
    const infoHash = infoHashOf(number % plan.swarms);
    const peerId = peerIdOf(number);
    const offers = plan.mode === 'loop' ? plan.offersPerAnnounce : 0;
    this.offerIds = new Array<string>(offers).fill('');
    this.buildAnnounce = announceFrameBuilder({
      infoHash,
      peerId,
      numwant: offers,
      offerSdps: Array.from({ length: offers }, (_, i) => sdpOf('offer', number * 8 + i)),
    });
    this.buildAnswer = answerFrameBuilder({ infoHash, peerId, answerSdp: sdpOf('answer', number) });
    this.localAddress = plan.localAddresses[number % plan.localAddresses.length] as string;
    if (plan.coordination && polls(number, plan.coordination.share)) {
      const url = new URL(trackerHttpUrl(urlOf(plan, number), '/coordination'));
      url.searchParams.set('info_hash', infoHash);
      url.searchParams.set('peer_id', peerId);
      this.coordinationUrl = url.href;
    }

    this.socket = new WebSocket(urlOf(plan, number), {
      localAddress: this.localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: 30_000,
    });
    let joined = false;
    let lastError = '';
    let opened = false;
    this.socket.once('open', () => {
      opened = true;
      open++;
      this.announce(true);
    });
    this.socket.on('message', (frame: Buffer) => {
      const outcome = this.onFrame(frame);
      if (outcome === undefined || joined) return;
      joined = true;
      if (outcome === 'accepted') this.onFirstResponse();
      else this.onFailedToJoin(`announce refused: ${frame.toString('latin1', 0, 200)}`);
    });
    this.socket.on('error', (error) => { lastError = error.message; });
    this.socket.once('close', (code) => {
      if (opened) open--;
      if (joined) {
        counters.disconnects++;
        increment(counters.closesByCode, code);
      }
      else this.onFailedToJoin(`closed (${code}${lastError ? `, ${lastError}` : ''}) before an announce response`);
    });
  }

  /** Starts the loop: at once when closed, at a random point of the first interval at a cadence. */
  start(): void {
    if (this.plan.thinkMs > 0) setTimeout(() => this.announce(), Math.random() * this.plan.thinkMs);
    else this.announce();
    if (this.accepted) this.startPolling();
  }

  private startPolling(): void {
    const everyMs = this.plan.coordination?.everyMs;
    if (this.coordinationUrl === undefined || everyMs === undefined || this.polling) return;
    this.polling = true;
    const url = this.coordinationUrl;
    const poll = async () => {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      const outcome = await pollCoordination(url, this.localAddress);
      if (outcome.status === 200) {
        counters.coordinationAnswers++;
        if (!outcome.member) counters.coordinationNotMember++;
        counters.coordinationLatency.push(outcome.latencyMs);
      } else {
        increment(counters.coordinationFailures, String(outcome.status));
      }
      setTimeout(poll, everyMs);
    };
    setTimeout(poll, Math.random() * everyMs);
  }

  announce(started = false): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const sequence = ++this.sequence;
    for (let i = 0; i < this.offerIds.length; i++) this.offerIds[i] = offerIdOf(this.number, sequence, i);
    const now = performance.now();
    this.sentAt[sequence % SENT_AT_SLOTS] = now;
    this.awaitingResponse = true;
    this.socket.send(this.buildAnnounce(this.offerIds, started));
  }

  /** Handles a frame from the tracker; says how the pending announce ended if the frame ended it. */
  private onFrame(frame: Buffer): AnnounceOutcome | undefined {
    switch (kindOf(frame)) {
      case 'offer': {
        counters.offersRelayed++;
        const offerId = stringField(frame, OFFER_ID_KEY);
        const offererId = stringField(frame, PEER_ID_KEY);
        if (offerId !== undefined && offererId !== undefined) this.socket.send(this.buildAnswer(offererId, offerId));
        return undefined;
      }
      case 'answer': {
        counters.answersRelayed++;
        const offerId = stringField(frame, OFFER_ID_KEY);
        if (offerId === undefined) return undefined;
        const sequence = sequenceOfOfferId(offerId);
        if (this.sequence - sequence < SENT_AT_SLOTS) {
          counters.relayLatency.push(performance.now() - (this.sentAt[sequence % SENT_AT_SLOTS] as number));
        }
        return undefined;
      }
      case 'failure':
        counters.failures++;
        counters.firstFailure ??= frame.toString('latin1', 0, 300);
        increment(counters.failuresByReason, stringField(frame, FAILURE_REASON_KEY) ?? 'unreadable failure');
        // A refused announce still ends its turn, or the peer would stall the closed loop.
        return this.onResponse('refused');
      case 'response':
        return this.onResponse('accepted');
      case 'other':
        return undefined;
    }
  }

  private onResponse(outcome: AnnounceOutcome): AnnounceOutcome | undefined {
    if (!this.awaitingResponse) return undefined;
    this.awaitingResponse = false;
    if (outcome === 'accepted') {
      this.accepted = true;
      counters.announces++;
      counters.announceLatency.push(performance.now() - (this.sentAt[this.sequence % SENT_AT_SLOTS] as number));
    }
    if (running) {
      // A peer that joined while running starts its loop as `run` starts the others'.
      if (this.sequence === 1) this.start();
      else if (this.plan.thinkMs > 0) setTimeout(() => this.announce(), this.plan.thinkMs);
      else this.announce();
    }
    return outcome;
  }
}

function send(event: LoadEvent): void {
  process.send?.(event);
}

function connect(plan: LoadPlan): void {
  const startedAt = performance.now();
  let next = 0;
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  const progress = setInterval(() => send({ evt: 'connecting', connected, failed }), 1000);
  const settle = () => {
    if (connected + failed === plan.peerCount) {
      clearInterval(progress);
      send({ evt: 'connected', connected, failed, firstError, elapsedMs: performance.now() - startedAt });
    } else {
      openNext();
    }
  };
  const openNext = () => {
    if (next === plan.peerCount) return;
    const number = plan.firstPeer + next++;
    let settled = false;
    peers.push(new Peer(
      plan,
      number,
      () => {
        if (settled) return;
        settled = true;
        connected++;
        settle();
      },
      (reason) => {
        if (settled) return;
        settled = true;
        failed++;
        firstError ??= reason;
        settle();
      },
    ));
  };
  if (plan.peerCount === 0) settle();
  for (let i = 0; i < Math.min(plan.connectConcurrency, plan.peerCount); i++) openNext();
}

function mark(): void {
  counters.markedAt = performance.now();
  counters.announces = 0;
  counters.failures = 0;
  counters.firstFailure = undefined;
  counters.failuresByReason.clear();
  counters.closesByCode.clear();
  counters.offersRelayed = 0;
  counters.answersRelayed = 0;
  counters.disconnects = 0;
  counters.announceLatency.take();
  counters.relayLatency.take();
  counters.coordinationAnswers = 0;
  counters.coordinationNotMember = 0;
  counters.coordinationFailures.clear();
  counters.coordinationLatency.take();
}

process.on('message', (command: LoadCommand) => {
  switch (command.cmd) {
    case 'connect':
      connect(command.plan);
      break;
    case 'run':
      running = true;
      for (const peer of peers) peer.start();
      break;
    case 'mark':
      mark();
      send({ evt: 'marked' });
      break;
    case 'report':
      send({
        evt: 'report',
        report: {
          windowMs: performance.now() - counters.markedAt,
          open,
          announces: counters.announces,
          failures: counters.failures,
          firstFailure: counters.firstFailure,
          failuresByReason: Object.fromEntries(counters.failuresByReason),
          closesByCode: Object.fromEntries(counters.closesByCode),
          offersRelayed: counters.offersRelayed,
          answersRelayed: counters.answersRelayed,
          disconnects: counters.disconnects,
          announceLatencyMs: counters.announceLatency.take(),
          relayLatencyMs: counters.relayLatency.take(),
          coordinationAnswers: counters.coordinationAnswers,
          coordinationNotMember: counters.coordinationNotMember,
          coordinationFailures: Object.fromEntries(counters.coordinationFailures),
          coordinationLatencyMs: counters.coordinationLatency.take(),
        },
      });
      // Each report covers the window since the previous one, so a caller can poll for a timeline.
      mark();
      break;
  }
});
process.on('disconnect', () => process.exit(0));
// Commands sent before the listener above existed would be lost: the parent waits for this.
send({ evt: 'ready' });
