/**
 * The swarm logic: announces, offer/answer relay and scrapes for every connection of this
 * instance, on whichever store it is given.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AccessGrant } from '@swarmcast/protocol/access-token';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { announceInCell } from './cells/cell-announce.ts';
import type { CellDirectory } from './cells/cell-directory.ts';
import { cellId, cellKeys, cellOf, streamOf } from './cells/cell-map.ts';
import type { TrackerConfig } from './config.ts';
import { limitKey } from './client-address.ts';
import type { RejectReason, TrackerMetrics } from './metrics.ts';
import { OutputQueues } from './output-queues.ts';
import { PeerConnection } from './peer-connection.ts';
import {
  createMessageParser,
  failure,
  type AnnounceRequest,
  type AnnounceResponse,
  type AnswerRequest,
  type RelayedAnswer,
  type RelayedOffer,
  type ScrapeFile,
  type ScrapeRequest,
  type ScrapeResponse,
} from '@swarmcast/protocol/wire';
import type { AnnounceInput, Delivery, SwarmStore } from './store/store.ts';
import type { SwarmAccess } from './swarm-access.ts';

/** Close code for a socket whose access token expired: 4000 + HTTP 401, what an upgrade with that token would get. */
const TOKEN_EXPIRED_CLOSE_CODE = 4401;
/** A client that stops reading is cut off once this much is queued for it (MAX_QUEUED_BYTES caps all of them together). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Offers are what others make a client receive: none are queued for one that already has this
 * much waiting (8 s at 1 Mbit/s), so however many senders there are, only what it asked for (its
 * responses, answers to its offers) can bring it to MAX_BUFFERED_BYTES.
 */
const MAX_BUFFERED_BYTES_FOR_OFFERS = 1024 * 1024;
/**
 * How long shutdown waits for clients to answer the 1001 close frame; ws would wait 30 s, and an
 * orchestrator's SIGKILL usually comes sooner than that.
 */
const SHUTDOWN_GRACE_MS = 2000;
/** Members this instance moves into newly opened cells per second, and how often it moves a batch. */
const MOVES_PER_SECOND = 1000;
const MOVE_TICK_MS = 100;
/** Moves waiting at most (a connection holds at most MAX_SWARMS_PER_CONNECTION memberships; a process < 20,000 sockets). */
const MAX_PENDING_MOVES = 200_000;
/** Sockets pinged in one turn of the event loop. */
const PING_SLICE = 500;

export class SignalingHub {
  /** Owner keys are unique across instances, so a store shared by several can route by them. */
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly connections = new Map<string, PeerConnection>();
  private readonly parse;
  private nextConnection = 0;
  private readonly corked: Socket[] = [];
  /** Connections per client address (per /64 for IPv6). */
  private readonly connectionsPerIp = new Map<string, number>();
  private readonly output: OutputQueues<PeerConnection>;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  /** Members to move into cells their streams opened (rebalance), oldest first. */
  private moves: Array<{ connection: PeerConnection; infoHash: string }> = [];
  private moveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: TrackerConfig,
    private readonly store: SwarmStore,
    private readonly metrics: TrackerMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly access: SwarmAccess,
    private readonly cells: CellDirectory,
  ) {
    this.parse = createMessageParser(config);
    this.output = new OutputQueues(MAX_BUFFERED_BYTES, config.maxQueuedBytes);
    store.onDelivery((owner, delivery) => this.deliverLocally(owner, delivery));
    cells.onGrowth((infoHash) => this.rebalance(infoHash));
    // Peers expire after two silent intervals; sweeping each half interval keeps that promise.
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), (config.announceIntervalSec * 1000) / 2);
    this.sweepTimer.unref();
    this.pingTimer = setInterval(() => this.ping(), config.pingIntervalSec * 1000);
    this.pingTimer.unref();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes waiting to be written to this instance's sockets. */
  get queuedBytes(): number {
    return this.output.queuedBytes;
  }

  connectionsFrom(ip: string): number {
    return this.connectionsPerIp.get(limitKey(ip)) ?? 0;
  }

  /** `stream` is the socket under the WebSocket, corked while a loop turn's frames are queued. */
  open(socket: WebSocket, stream: Socket, ip: string, locality: string, grant?: AccessGrant, provenSuffix?: string): PeerConnection {
    const key = `${this.instanceId}:${(this.nextConnection++).toString(36)}`;
    const connection = new PeerConnection(key, socket, stream, ip, locality, this.config.maxMessagesPerSecond, Date.now(), grant, provenSuffix);
    this.connections.set(key, connection);
    const address = limitKey(ip);
    this.connectionsPerIp.set(address, this.connectionsFrom(ip) + 1);
    this.metrics.connections.inc();
    socket.on('message', (data, isBinary) => this.receive(connection, data, isBinary));
    socket.on('pong', () => (connection.answeredPing = true));
    // ws closes the socket itself on protocol errors (1009 oversized, 1007 bad UTF-8, …).
    socket.on('error', (error: Error & { code?: string }) => {
      this.reject(error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame_too_large' : 'invalid_message');
      this.log.debug({ err: error, ip }, 'websocket protocol error');
    });
    socket.once('close', () => {
      this.connections.delete(key);
      this.output.release(connection);
      const left = this.connectionsFrom(ip) - 1;
      if (left === 0) this.connectionsPerIp.delete(address);
      else this.connectionsPerIp.set(address, left);
      this.metrics.connections.dec();
      connection.queue = connection.queue.then(() => this.leaveAll(connection));
    });
    return connection;
  }

  reject(reason: RejectReason): void {
    this.metrics.rejections.inc({ reason });
  }

  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Says goodbye (1001) to every socket, leaves their swarms, and cuts off clients that do not answer. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.pingTimer);
    clearInterval(this.moveTimer);
    this.moves = [];
    const open = [...this.connections.values()];
    const closed = open.map((connection) => new Promise((resolve) => connection.socket.once('close', resolve)));
    for (const connection of open) {
      connection.socket.close(1001, 'tracker shutting down');
      // Leave now, not on 'close': the store closes right after this, maybe before a slow client answers.
      connection.queue = connection.queue.then(() => this.leaveAll(connection));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    for (const connection of open) connection.socket.terminate();
    await Promise.all(open.map((connection) => connection.queue));
  }

  private receive(connection: PeerConnection, data: RawData, isBinary: boolean): void {
    // Frames already buffered when the connection was told to close are not handled.
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    const now = Date.now();
    if (connection.tokenExpired(now)) {
      this.closeExpired(connection);
      return;
    }
    if (!connection.takeToken(now)) {
      this.reject('rate_limited');
      connection.socket.close(1008, 'message rate limit exceeded');
      return;
    }
    if (isBinary) {
      this.reject('binary_frame');
      this.send(connection, failure('binary frames are not accepted: send JSON text frames'));
      return;
    }
    const parsed = this.parse(data.toString());
    if (!parsed.ok) {
      this.reject(parsed.code);
      this.send(connection, failure(parsed.reason, parsed.action, parsed.infoHash));
      return;
    }
    const { value } = parsed;
    connection.queue = connection.queue
      .then(() => {
        if (value.kind === 'announce') {
          // Started before the call: announce's synchronous part (validation, admission) counts too.
          const timed = this.metrics.announceSeconds.startTimer();
          return this.announce(connection, value.message).finally(timed);
        }
        if (value.kind === 'answer') return this.answer(connection, value.message);
        return this.scrape(connection, value.message);
      })
      .catch((error: unknown) => {
        // A store outage fails this message, never the connection or the instance.
        this.log.warn({ err: error }, 'message failed');
        this.reject('store_unavailable');
        const infoHash = value.kind === 'scrape' ? undefined : value.message.info_hash;
        this.send(connection, failure('tracker temporarily unavailable, retry later', value.message.action, infoHash));
      });
  }

  private async announce(connection: PeerConnection, message: AnnounceRequest): Promise<void> {
    const infoHash = message.info_hash;
    const refusal = this.access.swarmRefusal(infoHash, connection.grant);
    if (refusal !== undefined) return this.refuse(connection, 'info_hash_not_allowed', refusal, infoHash);
    const membership = connection.membership(infoHash);
    if (membership && membership.peerId !== message.peer_id) {
      return this.refuse(connection, 'peer_id_mismatch', 'this connection already announced another peer_id for this info_hash', infoHash);
    }
    if (message.event === 'stopped') {
      if (membership) {
        connection.leave(infoHash);
        await this.store.leave(membership.cell, message.peer_id, connection.key);
      }
      return this.respond(connection, infoHash, await this.streamCounts(infoHash, Date.now()));
    }
    if (!membership && connection.swarmCount >= this.config.maxSwarmsPerConnection) {
      return this.refuse(connection, 'too_many_swarms', `a connection may join at most ${this.config.maxSwarmsPerConnection} swarms`, infoHash);
    }
    const offers = message.offers ?? [];
    const seeder = message.left === 0 || message.event === 'completed';
    const input = this.announceInput(connection, infoHash, message.peer_id, seeder, {
      completed: message.event === 'completed',
      numwant: Math.min(offers.length, message.numwant ?? offers.length, this.config.maxOffers),
    });
    const keys = cellKeys(await this.store.coordinationSecret(), message.peer_id);
    const { output: result, cell } = await announceInCell(this.store, this.cells, input, keys, membership?.cell, Date.now());
    if (result.outcome === 'peer_id_taken') {
      return this.refuse(connection, 'peer_id_taken', 'peer_id is in use by another connection', infoHash);
    }
    if (result.outcome === 'swarm_full') {
      return this.refuse(connection, 'swarm_full', 'the swarm is full: viewers join faster than it grows, retry later', infoHash);
    }
    const now = Date.now();
    if (membership) {
      membership.lastAnnounceAt = now;
      membership.cell = cell;
      membership.seeder = seeder;
    } else connection.join(infoHash, message.peer_id, cell, seeder, now);
    this.respond(connection, infoHash, result);

    if (result.peers.length === 0) return;
    const deliveries: Delivery[] = result.peers.map((peer, i) => {
      const { offer, offer_id } = offers[i]!;
      const relayed: RelayedOffer = { action: 'announce', offer, offer_id, peer_id: message.peer_id, info_hash: infoHash };
      return {
        kind: 'offer',
        infoHash,
        toPeerId: peer.peerId,
        toOwner: peer.owner,
        fromPeerId: message.peer_id,
        fromOwner: connection.key,
        offerId: offer_id,
        frame: JSON.stringify(relayed),
      };
    });
    const delivered = await this.store.deliver(deliveries);
    this.metrics.offersRelayed.inc(delivered.filter(Boolean).length);
  }

  private announceInput(connection: PeerConnection, infoHash: string, peerId: string, seeder: boolean, extra: Pick<AnnounceInput, 'completed' | 'numwant'>): AnnounceInput {
    return {
      infoHash,
      peerId,
      owner: connection.key,
      proven: connection.proves(peerId),
      address: limitKey(connection.ip),
      locality: connection.locality,
      seeder,
      maxPeersPerSwarm: this.config.maxPeersPerSwarm,
      ttlMs: this.config.announceIntervalSec * 2000,
      ...extra,
    };
  }

  /**
   * Moves this instance's members of a stream that has opened cells into their cells at the new
   * count, soon rather than at their next announce: the old cells then have room for the joins to
   * come. Paced (MOVES_PER_SECOND): when 100,000 peers opened cells all at once, the moves of half
   * of them at a time overran Redis and every announce waited behind them. Each move waits its turn
   * on its connection, so it never races the member's own announce.
   */
  private rebalance(infoHash: string): void {
    for (const connection of this.connections.values()) {
      if (connection.membership(infoHash) && this.moves.length < MAX_PENDING_MOVES) this.moves.push({ connection, infoHash });
    }
    if (!this.moveTimer) {
      this.moveTimer = setInterval(() => this.moveSome(), MOVE_TICK_MS);
      this.moveTimer.unref();
    }
  }

  private moveSome(): void {
    for (const { connection, infoHash } of this.moves.splice(0, (MOVES_PER_SECOND * MOVE_TICK_MS) / 1000)) {
      if (connection.socket.readyState !== connection.socket.OPEN) continue;
      connection.queue = connection.queue.then(() => this.move(connection, infoHash)).catch((error: unknown) =>
        this.log.warn({ err: error }, 'moving a member into a new cell failed; it moves on its next announce'),
      );
    }
    if (this.moves.length === 0) {
      clearInterval(this.moveTimer);
      this.moveTimer = undefined;
    }
  }

  private async move(connection: PeerConnection, infoHash: string): Promise<void> {
    const membership = connection.membership(infoHash);
    if (!membership) return;
    const now = Date.now();
    const keys = cellKeys(await this.store.coordinationSecret(), membership.peerId);
    // In its first choice already (one in another choice moves to its first if that has room).
    if (cellId(infoHash, cellOf(keys[0], await this.cells.count(infoHash, now))) === membership.cell) return;
    const input = this.announceInput(connection, infoHash, membership.peerId, membership.seeder, { completed: false, numwant: 0 });
    membership.cell = (await announceInCell(this.store, this.cells, input, keys, membership.cell, now)).cell;
  }

  private async answer(connection: PeerConnection, message: AnswerRequest): Promise<void> {
    const infoHash = message.info_hash;
    if (connection.membership(infoHash)?.peerId !== message.peer_id) {
      return this.refuse(connection, 'peer_id_mismatch', 'answer from a peer_id this connection has not announced in this swarm', infoHash);
    }
    const pending = connection.takePendingOffer(infoHash, message.to_peer_id, message.offer_id, Date.now());
    if (pending === undefined) {
      return this.refuse(connection, 'unknown_offer', 'no pending offer with this offer_id from to_peer_id (unknown or expired)', infoHash);
    }
    const relayed: RelayedAnswer = { action: 'announce', answer: message.answer, offer_id: message.offer_id, peer_id: message.peer_id, info_hash: infoHash };
    // Routed to the connection the offer came from: no store lookup on the answer path.
    const [delivered] = await this.store.deliver([
      {
        kind: 'answer',
        infoHash,
        toPeerId: message.to_peer_id,
        toOwner: pending.owner,
        fromPeerId: message.peer_id,
        fromOwner: connection.key,
        offerId: message.offer_id,
        frame: JSON.stringify(relayed),
      },
    ]);
    if (!delivered) return this.refuse(connection, 'peer_gone', 'to_peer_id is no longer in this swarm', infoHash);
    this.metrics.answersRelayed.inc();
    // An offer expires offerTtlSec after it was forwarded (admitOffer).
    this.metrics.offerAnswerSeconds.observe((Date.now() - pending.expiresAt) / 1000 + this.config.offerTtlSec);
  }

  private async scrape(connection: PeerConnection, message: ScrapeRequest): Promise<void> {
    const hashes = message.info_hash === undefined ? undefined : [message.info_hash].flat();
    // Where swarms are private, a scrape must not reveal which exist or how many watch them.
    const { grant } = connection;
    if (this.access.restrictsSwarms(grant) && (hashes === undefined || hashes.some((hash) => this.access.swarmRefusal(hash, grant) !== undefined))) {
      this.reject('info_hash_not_allowed');
      this.send(connection, failure('scrape is limited to the info_hashes this connection may join', 'scrape'));
      return;
    }
    const now = Date.now();
    // A bare scrape lists store swarms, cells among them: each stream once, with all its cells.
    const streams = [...new Set(hashes ?? [...(await this.store.scrape(undefined, this.config.maxScrapeHashes)).keys()].map(streamOf))];
    const counts = new Map(await Promise.all(streams.map(async (stream) => [stream, await this.streamCounts(stream, now)] as const)));
    const response: ScrapeResponse = {
      action: 'scrape',
      files: Object.fromEntries(counts),
      flags: { min_request_interval: this.config.announceIntervalSec },
    };
    this.metrics.scrapes.inc();
    this.send(connection, JSON.stringify(response));
  }

  /** A stream's counts: the sum over its cells (one in all but the biggest streams). */
  private async streamCounts(infoHash: string, now: number): Promise<ScrapeFile> {
    const cells = await this.cells.count(infoHash, now);
    const ids = Array.from({ length: cells }, (_, cell) => cellId(infoHash, cell));
    const total: ScrapeFile = { complete: 0, incomplete: 0, downloaded: 0 };
    for (const file of (await this.store.scrape(ids, ids.length)).values()) {
      total.complete += file.complete;
      total.incomplete += file.incomplete;
      total.downloaded += file.downloaded;
    }
    return total;
  }

  private respond(connection: PeerConnection, infoHash: string, counts: Pick<ScrapeFile, 'complete' | 'incomplete'>): void {
    const response: AnnounceResponse = {
      action: 'announce',
      interval: this.config.announceIntervalSec,
      info_hash: infoHash,
      complete: counts.complete,
      incomplete: counts.incomplete,
    };
    this.metrics.announces.inc();
    this.send(connection, JSON.stringify(response));
  }

  private refuse(connection: PeerConnection, reason: RejectReason, text: string, infoHash: string): void {
    this.reject(reason);
    this.send(connection, failure(text, 'announce', infoHash));
  }

  private deliverLocally(owner: string, delivery: Delivery): boolean {
    const connection = this.connections.get(owner);
    if (connection?.membership(delivery.infoHash)?.peerId !== delivery.toPeerId) return false;
    const now = Date.now();
    // Offers carry their senders' addresses: none for a bearer whose token ran out.
    if (connection.tokenExpired(now)) {
      this.closeExpired(connection);
      return false;
    }
    if (delivery.kind === 'offer' && !this.admitOffer(connection, delivery, now)) return false;
    this.send(connection, delivery.frame);
    return true;
  }

  /**
   * Records an offer for `to`, or drops it before it is queued: when `to` is already far behind,
   * or when its sender has `maxPendingOffersPerPeer` unanswered offers waiting there. That sender
   * is cut off when it is on this instance; from another one (Redis), its offers still stop here.
   */
  private admitOffer(to: PeerConnection, delivery: Delivery, now: number): boolean {
    const sender = this.connections.get(delivery.fromOwner);
    // Cut off for an earlier offer of the same announce.
    if (sender && sender.socket.readyState !== sender.socket.OPEN) return false;
    if (this.output.queuedFor(to) >= MAX_BUFFERED_BYTES_FOR_OFFERS) {
      this.reject('receiver_backlogged');
      return false;
    }
    const expiresAt = now + this.config.offerTtlSec * 1000;
    if (to.addPendingOffer(delivery.infoHash, delivery.fromPeerId, delivery.offerId, delivery.fromOwner, expiresAt, now, this.config.maxPendingOffersPerPeer)) return true;
    this.reject('offer_flood');
    sender?.socket.close(1008, 'too many unanswered offers to one peer');
    return false;
  }

  private send(connection: PeerConnection, frame: string): void {
    const { socket, stream } = connection;
    if (socket.readyState !== socket.OPEN) return;
    const bytes = Buffer.byteLength(frame);
    for (const slow of this.output.overflow(connection, bytes)) this.cutOff(slow);
    if (socket.readyState !== socket.OPEN) return;
    // Frames for one peer in one event-loop turn (its announce response, offers and answers from
    // others) leave in one write: per-frame syscalls were most of the tracker's CPU time.
    if (!stream.writableCorked) {
      stream.cork();
      this.corked.push(stream);
      if (this.corked.length === 1) setImmediate(this.uncorkAll);
    }
    this.output.queued(connection, bytes);
    socket.send(frame, () => this.output.written(connection, bytes));
  }

  /** A client that does not read what it is sent holds memory every other client needs. */
  private cutOff(connection: PeerConnection): void {
    this.reject('slow_reader');
    this.output.release(connection);
    connection.socket.terminate();
  }

  private readonly uncorkAll = (): void => {
    for (const stream of this.corked) stream.uncork();
    this.corked.length = 0;
  };

  private async leaveAll(connection: PeerConnection): Promise<void> {
    const memberships = connection.leaveAll();
    await Promise.all(memberships.map(({ cell, peerId }) => this.store.leave(cell, peerId, connection.key))).catch(
      (error: unknown) => this.log.warn({ err: error }, 'leave failed; the store expires these peers'),
    );
  }

  /** A grant is checked at upgrade; one that ran out since must not keep its swarms open. */
  private closeExpired(connection: PeerConnection): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    this.reject('token_expired');
    connection.socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'access token expired');
  }

  /**
   * A client whose network went away sends nothing, not even a close, and its peer_ids would stay
   * taken until their TTL: one that has not answered the previous ping is cut off (browsers and
   * ws answer pings by themselves).
   */
  private ping(): void {
    const connections = [...this.connections.values()];
    // In slices, each its own turn of the event loop: one loop over 10,000 sockets held the
    // instance for ~0.4 s every interval, and every announce and relay waited behind it.
    const pingFrom = (start: number) => {
      for (const connection of connections.slice(start, start + PING_SLICE)) {
        if (connection.socket.readyState !== connection.socket.OPEN) continue;
        if (!connection.answeredPing) {
          this.reject('unresponsive');
          connection.socket.terminate();
          continue;
        }
        connection.answeredPing = false;
        connection.socket.ping();
      }
      if (start + PING_SLICE < connections.length && !this.shuttingDown) setImmediate(pingFrom, start + PING_SLICE);
    };
    pingFrom(0);
  }

  private sweep(now: number): void {
    const silentSince = now - this.config.announceIntervalSec * 2000;
    for (const connection of this.connections.values()) {
      // Idle sockets too: a client that stays silent is closed within half an interval of its token's expiry.
      if (connection.tokenExpired(now)) this.closeExpired(connection);
      connection.dropExpiredOffers(now);
      for (const { cell, peerId } of connection.expire(silentSince)) {
        this.store.leave(cell, peerId, connection.key).catch((error: unknown) => this.log.warn({ err: error }, 'expiry failed'));
      }
    }
  }
}
