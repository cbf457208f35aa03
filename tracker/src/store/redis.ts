/**
 * Swarms in Redis, one node or a cluster, shared by every tracker instance behind a load balancer.
 *
 * Per swarm, every key carries the hash tag `{<info_hash as hex>}`, so a swarm lives in one
 * cluster slot and each script below touches one node:
 *   {h}:peers          sorted set peer_id → expiry (ms): the membership
 *   {h}:seeders        sorted set peer_id → expiry: the members with everything (`complete`)
 *   {h}:owners         hash peer_id → owner key `<instanceId>:<connection>`: who holds its socket
 *   {h}:localities     hash peer_id → locality key
 *   {h}:addresses      hash peer_id → client address (`limitKey`): seeding ranks are shared out by it
 *   {h}:proven         set of peer_ids whose owner proved them (peer-proof): only proof takes them over
 *   {h}:passed-over    the last slot whose seeders a backup reported as not seeding (expires with it)
 *   {h}:near:<loc>     sorted set peer_id → expiry per locality, sampled first when picking
 *   {h}:ring           sorted set peer_id → its point on the seeding ring (seeding-ring.ts)
 *   {h}:reports        hash peer_id → what the member last said about itself (@swarmcast/protocol/mesh-capacity)
 *   {h}:downloaded     counter of `completed` events
 *   {h}:cells          the stream's cell count, when above 1 (cells/cell-map.ts; each cell k ≥ 1 is a
 *                      swarm of its own, `{<info_hash>#k as hex>}`, so a big stream spans many slots)
 * Counts are ZCOUNTs over live scores, never counters that could drift; a dead instance's peers
 * stop counting when their scores pass, and every swarm key expires one TTL after the swarm's
 * last announce.
 * Global keys, one slot each in a cluster: `swarms` (info_hash hex → expiry, what a bare scrape
 * lists), `instances` (instance id → heartbeat expiry, what /health counts; a peer held by an
 * instance whose heartbeat lapsed is neither listed by `seedingWindow` nor kept from a reconnecting
 * viewer) and `coordination-secret` (set once by the first instance, read by the others).
 * Frames for a peer are published on its owner's channel `instance:<id>`: sharded pub/sub on a
 * cluster, so a message crosses one shard rather than the whole cluster bus; plain pub/sub on a node.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { ScrapeFile } from '@swarmcast/protocol/wire';
import { connectRedis, timeCommands, type RedisClient } from './redis-client.ts';
import { decodeBatch, encodeBatch, encodeDelivery } from './redis-messages.ts';
import { announceScript, countsScript, leaveScript, openCellsScript, placeScript, reportScript, windowScript } from './redis-scripts.ts';
import { ringKey } from './seeding-ring.ts';
import { MAX_REPORT_LENGTH, MAX_SEEDING_WINDOW, type AnnounceInput, type AnnounceOutcome, type AnnounceOutput, type Delivery, type DeliveryHandler, type SeedingWindow, type StoreCounts, type SwarmStore } from './store.ts';

/** How often an instance refreshes its heartbeat and trims the global sorted sets. */
const HEARTBEAT_MS = 5000;
/** An instance that missed this long of heartbeats no longer counts as live. */
const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_MS;
/**
 * Entries in the `swarms` set (and in an instance's `listedUntil`). A bare scrape lists at most
 * MAX_SCRAPE_HASHES (100 by default) of them, newest first, so trimming the oldest never changes
 * its answer; without a cap, made-up info_hashes joined and left each stayed listed for two
 * announce intervals (~105,000 per client address, more from many IPv6 /64s).
 */
export const MAX_LISTED_SWARMS = 10_000;

type AnnounceReply = [outcome: AnnounceOutcome, peers: number, seeders: number, picked: string[], owners: Array<string | null>, holder: string | null];

interface SwarmScripts {
  swarmAnnounce(...args: Array<string | number>): Promise<AnnounceReply>;
  swarmLeave(...args: string[]): Promise<number>;
  swarmCounts(...args: string[]): Promise<[peers: number, seeders: number, downloaded: number]>;
  swarmWindow(
    ring: string, peers: string, owners: string, addresses: string, reports: string, from: number, count: number,
  ): Promise<[size: number, ids: string[], owners: Array<string | null>, addresses: Array<string | null>, reports: Array<string | null>]>;
  swarmReport(peers: string, reports: string, peerId: string, report: string): Promise<number>;
  swarmPlace(ring: string, peers: string, peerId: string, from: number): Promise<[size: number, place: number]>;
  streamOpenCells(cells: string, atLeast: number, ttlMs: number): Promise<number>;
}

type Client = RedisClient & SwarmScripts;

export interface StoreLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface RedisStoreOptions {
  /** Prepended to every key and channel. */
  keyPrefix: string;
  log: StoreLog;
}

/** Owner keys are `<instanceId>:<connection>`. */
const instanceOf = (owner: string) => owner.slice(0, owner.lastIndexOf(':'));
const toHex = (binary: string) => Buffer.from(binary, 'latin1').toString('hex');
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('latin1');

export class RedisStore implements SwarmStore {
  private readonly client: Client;
  /** The connection in subscriber mode: the process's client duplicated on a single node, the cluster's own otherwise. */
  private readonly subscriber: RedisClient;
  private readonly sharded: boolean;
  private readonly prefix: string;
  private readonly log: StoreLog;
  private handler: DeliveryHandler = () => false;
  /** Owner keys of this instance start with this; set by `attach`. */
  private localPrefix: string | undefined;
  private instanceId = '';
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  /** Until the first connection succeeds, errors go into the one `connect` throws, not the log. */
  private started = false;
  /** When this instance last put each swarm in the `swarms` set, to write it once per half TTL; at most MAX_LISTED_SWARMS. */
  private readonly listedUntil = new Map<string, number>();
  /** Frames for other instances, by channel, until the end of this event-loop turn. */
  private outbox = new Map<string, { messages: string[]; settle: Array<{ resolve(delivered: boolean): void; reject(error: unknown): void }> }>();
  /** Peers whose sockets this instance holds, with their expiry: what `counts` reports. */
  private readonly localPeers = new Map<string, Map<string, number>>();
  private secret: Promise<Buffer> | undefined;

  /** On the process's client, connected (`connectRedis`); connects the subscriber, or throws if Redis cannot be reached now. */
  static async connect(client: RedisClient, options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(client, options);
    if (store.subscriber !== client) await connectRedis(store.subscriber);
    store.started = true;
    store.lastError = undefined;
    return store;
  }

  private constructor(client: RedisClient, options: RedisStoreOptions) {
    this.prefix = options.keyPrefix;
    this.log = options.log;
    this.client = client as Client;
    if (client instanceof Cluster) {
      this.sharded = true;
      client.on('node error', (error: Error) => this.failed(error));
      this.subscriber = client;
      client.on('smessage', (_channel: string, message: string) => this.received(message));
    } else {
      this.sharded = false;
      this.subscriber = client.duplicate({ enableAutoPipelining: false });
      this.subscriber.on('message', (_channel: string, message: string) => this.received(message));
    }
    for (const client of new Set([this.client, this.subscriber])) {
      client.on('error', (error: Error) => this.failed(error));
      client.on('ready', () => this.recovered());
    }
    this.client.defineCommand('swarmAnnounce', { numberOfKeys: 10, lua: announceScript });
    this.client.defineCommand('swarmLeave', { numberOfKeys: 8, lua: leaveScript });
    this.client.defineCommand('swarmReport', { numberOfKeys: 2, lua: reportScript });
    this.client.defineCommand('swarmCounts', { numberOfKeys: 3, lua: countsScript });
    this.client.defineCommand('swarmWindow', { numberOfKeys: 5, lua: windowScript });
    this.client.defineCommand('swarmPlace', { numberOfKeys: 2, lua: placeScript });
    this.client.defineCommand('streamOpenCells', { numberOfKeys: 1, lua: openCellsScript });
  }

  /**
   * Starts receiving the frames for the owners of one hub: owner keys are `<instanceId>:<n>`,
   * so any instance can tell from an owner key which channel reaches it.
   */
  async attach(instanceId: string): Promise<void> {
    this.instanceId = instanceId;
    this.localPrefix = instanceId + ':';
    const channel = this.channel(instanceId);
    await (this.sharded ? this.subscriber.ssubscribe(channel) : this.subscriber.subscribe(channel));
    await this.heartbeat();
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch((error: Error) => this.failed(error));
    }, HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  async announce(input: AnnounceInput): Promise<AnnounceOutput> {
    const now = Date.now();
    let [reply] = await Promise.all([this.announceScript(input, ''), this.list(input.infoHash, now, input.ttlMs)]);
    // The holder's instance may have died (SIGKILL, a lost node): its peers would otherwise keep
    // their viewers out until their TTL. Liveness lives outside the swarm's slot, so it is checked
    // here, and only on this rare path.
    const holder = reply[5];
    if (reply[0] === 'peer_id_taken' && holder && !(await this.ownerAlive(holder))) reply = await this.announceScript(input, holder);
    const [outcome, peers, seeders, picked, owners] = reply;
    if (outcome === 'ok') this.holdLocally(input.infoHash, input.peerId, now + input.ttlMs);
    // The script read each owner in the same step; a peer whose owner vanished meanwhile is skipped.
    const pickedPeers = picked.flatMap((peerId, i) => (owners[i] ? [{ peerId, owner: owners[i] }] : []));
    return { outcome, complete: seeders, incomplete: peers - seeders, peers: pickedPeers };
  }

  async leave(infoHash: string, peerId: string, owner: string): Promise<void> {
    const local = this.localPeers.get(infoHash);
    local?.delete(peerId);
    if (local?.size === 0) this.localPeers.delete(infoHash);
    const keys = this.swarmKeys(infoHash);
    await this.client.swarmLeave(keys.peers, keys.seeders, keys.owners, keys.localities, keys.addresses, keys.proven, keys.ring, keys.reports, peerId, owner, keys.nearPrefix);
  }

  async seedingWindow(infoHash: string, from: number, count: number): Promise<SeedingWindow> {
    const keys = this.swarmKeys(infoHash);
    const [[size, ids, owners, addresses, reports], live] = await Promise.all([
      this.client.swarmWindow(keys.ring, keys.peers, keys.owners, keys.addresses, keys.reports, from, Math.min(count, MAX_SEEDING_WINDOW)),
      this.liveInstances(),
    ]);
    const members = ids.flatMap((peerId, i) => {
      const owner = owners[i];
      return owner && live.has(instanceOf(owner)) ? [{ peerId, address: addresses[i] ?? '', report: reports[i] ?? null }] : [];
    });
    return { size, members };
  }

  async ringPlace(infoHash: string, peerId: string, from: number): Promise<{ size: number; place: number | null }> {
    const keys = this.swarmKeys(infoHash);
    const [size, place] = await this.client.swarmPlace(keys.ring, keys.peers, peerId, from);
    return { size, place: place < 0 ? null : place };
  }

  async report(infoHash: string, peerId: string, report: string): Promise<void> {
    const keys = this.swarmKeys(infoHash);
    await this.client.swarmReport(keys.peers, keys.reports, peerId, report.slice(0, MAX_REPORT_LENGTH));
  }

  async cellCount(infoHash: string, ttlMs: number): Promise<number> {
    return Number((await this.client.getex(this.swarmKeys(infoHash).cells, 'PX', ttlMs)) ?? 1);
  }

  async openCells(infoHash: string, atLeast: number, ttlMs: number): Promise<number> {
    return this.client.streamOpenCells(this.swarmKeys(infoHash).cells, atLeast, ttlMs);
  }

  async passOver(infoHash: string, slot: number, ttlMs: number): Promise<void> {
    await this.client.set(this.swarmKeys(infoHash).passedOver, slot, 'PX', ttlMs);
  }

  async passedOver(infoHash: string, slot: number): Promise<boolean> {
    return (await this.client.get(this.swarmKeys(infoHash).passedOver)) === String(slot);
  }

  /** Read once (every member's ring key needs it); a failed read is tried again next time. */
  coordinationSecret(): Promise<Buffer> {
    this.secret ??= this.readSecret().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private async readSecret(): Promise<Buffer> {
    const key = this.prefix + 'coordination-secret';
    await this.client.set(key, randomBytes(32).toString('hex'), 'NX');
    const secret = await this.client.get(key);
    if (!secret) throw new Error(`redis lost ${key} right after setting it`);
    return Buffer.from(secret, 'hex');
  }

  async scrape(infoHashes: string[] | undefined, limit: number): Promise<Map<string, ScrapeFile>> {
    const hashes = infoHashes
      ?? (await this.client.zrevrangebyscore(this.prefix + 'swarms', '+inf', `(${Date.now()}`, 'LIMIT', 0, limit)).map(fromHex);
    const counts = await Promise.all(hashes.map((infoHash) => {
      const keys = this.swarmKeys(infoHash);
      return this.client.swarmCounts(keys.peers, keys.seeders, keys.downloaded);
    }));
    return new Map(hashes.map((infoHash, i) => {
      const [peers, seeders, downloaded] = counts[i]!;
      return [infoHash, { complete: seeders, incomplete: peers - seeders, downloaded }];
    }));
  }

  async deliver(deliveries: Delivery[]): Promise<boolean[]> {
    return Promise.all(deliveries.map((delivery) => this.route(delivery)));
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  /**
   * The peers whose sockets this instance holds and the swarms they are in: no Redis call, so
   * metrics stay cheap and answer during an outage. Summed over instances, peers is the total.
   */
  async counts(): Promise<StoreCounts> {
    this.dropExpiredLocal(Date.now());
    let peers = 0;
    for (const swarm of this.localPeers.values()) peers += swarm.size;
    return { swarms: this.localPeers.size, peers };
  }

  /** Times every command on the process's client, the telemetry store's too (`timeCommands`). */
  timeCommands(observe: (seconds: number) => void): void {
    timeCommands(this.client, observe);
  }

  /** Checks that Redis answers; counts the tracker instances whose heartbeat is current. */
  async health(): Promise<{ instances: number }> {
    return { instances: await this.client.zcount(this.prefix + 'instances', `(${Date.now()}`, '+inf') };
  }

  /** Stops the heartbeat and closes the subscriber; the client is the process's, closed by its owner (storage.ts). */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    if (this.subscriber !== this.client) await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private async announceScript(input: AnnounceInput, takeOverFrom: string): Promise<AnnounceReply> {
    const keys = this.swarmKeys(input.infoHash);
    const secret = await this.coordinationSecret();
    return this.client.swarmAnnounce(
      keys.peers, keys.seeders, keys.owners, keys.localities, keys.nearPrefix + input.locality, keys.downloaded, keys.addresses, keys.proven, keys.ring, keys.reports,
      input.peerId, input.owner, input.locality, keys.nearPrefix, input.seeder ? 1 : 0, input.completed ? 1 : 0,
      input.numwant, input.maxPeersPerSwarm, input.ttlMs, input.address, input.proven ? 1 : 0, takeOverFrom, ringKey(secret, input.peerId),
    );
  }

  /** Instances whose heartbeat is current, this one included. */
  private async liveInstances(): Promise<Set<string>> {
    const live = new Set(await this.client.zrangebyscore(this.prefix + 'instances', `(${Date.now()}`, '+inf'));
    return live.add(this.instanceId);
  }

  private async ownerAlive(owner: string): Promise<boolean> {
    const instance = instanceOf(owner);
    if (instance === this.instanceId) return true;
    const expiry = await this.client.zscore(this.prefix + 'instances', instance);
    return expiry !== null && Number(expiry) > Date.now();
  }

  private swarmKeys(infoHash: string) {
    const base = `${this.prefix}{${toHex(infoHash)}}:`;
    return {
      peers: base + 'peers',
      seeders: base + 'seeders',
      owners: base + 'owners',
      localities: base + 'localities',
      addresses: base + 'addresses',
      proven: base + 'proven',
      ring: base + 'ring',
      reports: base + 'reports',
      passedOver: base + 'passed-over',
      downloaded: base + 'downloaded',
      cells: base + 'cells',
      nearPrefix: base + 'near:',
    };
  }

  private channel(instanceId: string): string {
    return `${this.prefix}instance:${instanceId}`;
  }

  /** Keeps the swarm in the `swarms` set that a bare scrape lists, the set capped; written once per half TTL. */
  private async list(infoHash: string, now: number, ttlMs: number): Promise<void> {
    if ((this.listedUntil.get(infoHash) ?? 0) - now > ttlMs / 2) return;
    const key = this.prefix + 'swarms';
    // One connection runs them in order, so the trim (all but the newest MAX_LISTED_SWARMS) sees this entry.
    await Promise.all([this.client.zadd(key, now + ttlMs, toHex(infoHash)), this.client.zremrangebyrank(key, 0, -MAX_LISTED_SWARMS - 1)]);
    // Moved to the end, so the first entry is the one listed longest ago: forgotten first, it is
    // at worst written once more.
    this.listedUntil.delete(infoHash);
    if (this.listedUntil.size >= MAX_LISTED_SWARMS) this.listedUntil.delete(this.listedUntil.keys().next().value as string);
    this.listedUntil.set(infoHash, now + ttlMs);
  }

  private route(delivery: Delivery): boolean | Promise<boolean> {
    const owner = delivery.toOwner;
    if (this.localPrefix !== undefined && owner.startsWith(this.localPrefix)) return this.handler(owner, delivery);
    const channel = this.channel(instanceOf(owner));
    let batch = this.outbox.get(channel);
    if (!batch) {
      batch = { messages: [], settle: [] };
      this.outbox.set(channel, batch);
      if (this.outbox.size === 1) setImmediate(this.flushOutbox);
    }
    batch.messages.push(encodeDelivery(delivery));
    const pending = batch;
    return new Promise((resolve, reject) => pending.settle.push({ resolve, reject }));
  }

  /**
   * One publish per instance per event-loop turn, carrying every frame for it: per-frame
   * publishes cost more CPU than the rest of an announce.
   */
  private readonly flushOutbox = (): void => {
    const batches = this.outbox;
    this.outbox = new Map();
    for (const [channel, { messages, settle }] of batches) {
      const message = encodeBatch(messages);
      (this.sharded ? this.client.spublish(channel, message) : this.client.publish(channel, message)).then(
        // Nobody listening: the owner's instance is gone, and so are its peers' sockets.
        (receivers) => {
          for (const { resolve } of settle) resolve(Number(receivers) > 0);
        },
        (error: unknown) => {
          for (const { reject } of settle) reject(error);
        },
      );
    }
  };

  private received(message: string): void {
    const { deliveries, malformed } = decodeBatch(message);
    for (const delivery of deliveries) this.handler(delivery.toOwner, delivery);
    if (malformed > 0) this.log.warn({ malformed }, 'dropped malformed lines on this instance\'s Redis channel');
  }

  private holdLocally(infoHash: string, peerId: string, expiresAt: number): void {
    let swarm = this.localPeers.get(infoHash);
    if (!swarm) {
      swarm = new Map();
      this.localPeers.set(infoHash, swarm);
    }
    swarm.set(peerId, expiresAt);
  }

  private dropExpiredLocal(now: number): void {
    for (const [infoHash, swarm] of this.localPeers) {
      for (const [peerId, expiresAt] of swarm) if (expiresAt <= now) swarm.delete(peerId);
      if (swarm.size === 0) this.localPeers.delete(infoHash);
    }
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    this.dropExpiredLocal(now);
    for (const [infoHash, until] of this.listedUntil) if (until <= now) this.listedUntil.delete(infoHash);
    await Promise.all([
      this.client.zadd(this.prefix + 'instances', now + HEARTBEAT_TTL_MS, this.instanceId),
      this.client.zremrangebyscore(this.prefix + 'instances', '-inf', now),
      this.client.zremrangebyscore(this.prefix + 'swarms', '-inf', now),
    ]);
  }

  /** ioredis reports every failed reconnect; the log gets the first of a kind, not one a second. */
  private failed(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    if (this.started) this.log.warn({ err: error }, 'redis unavailable; announces fail until it is back');
  }

  private recovered(): void {
    if (this.lastError === undefined) return;
    this.lastError = undefined;
    this.log.info({}, 'redis available again');
  }
}
