/** The embedded store: swarms in this process's memory, for a single tracker instance. */
import { randomBytes } from 'node:crypto';
import type { ScrapeFile } from '@swarmcast/protocol/wire';
import { RingIndex, ringKey } from './seeding-ring.ts';
import { MAX_REPORT_LENGTH, type AnnounceInput, type AnnounceOutput, type Delivery, type DeliveryHandler, type PickedPeer, type SeedingWindow, type StoreCounts, type SwarmStore } from './store.ts';

interface Member {
  peerId: string;
  owner: string;
  proven: boolean;
  address: string;
  locality: string;
  seeder: boolean;
  /** Its point on the seeding ring. */
  ringKey: number;
  /** What it last said about itself (SwarmStore.report). */
  report: string | null;
  /** Position in Swarm.members and in its locality's list, for O(1) swap-removal. */
  index: number;
  localityIndex: number;
}

interface Swarm {
  byId: Map<string, Member>;
  members: Member[];
  byLocality: Map<string, Member[]>;
  ring: RingIndex<Member>;
  seeders: number;
  downloaded: number;
}

function removeAt(list: Member[], index: number, field: 'index' | 'localityIndex'): void {
  const last = list.pop()!;
  if (index < list.length) {
    list[index] = last;
    last[field] = index;
  }
}

/**
 * Up to `n` random members of `list`, skipping `exclude` and anything already in `picked`.
 * Rejection sampling keeps a pick O(n) in a swarm of thousands.
 */
function sample(list: Member[], n: number, exclude: string, picked: Map<string, PickedPeer>): void {
  const want = picked.size + n;
  if (list.length <= want * 2) {
    const candidates = list.filter((member) => member.peerId !== exclude && !picked.has(member.peerId));
    for (let i = 0; i < candidates.length && picked.size < want; i++) {
      const j = i + Math.floor(Math.random() * (candidates.length - i));
      const chosen = candidates[j]!;
      candidates[j] = candidates[i]!;
      picked.set(chosen.peerId, chosen);
    }
    return;
  }
  for (let tries = 0; picked.size < want && tries < want * 4; tries++) {
    const member = list[Math.floor(Math.random() * list.length)]!;
    if (member.peerId !== exclude) picked.set(member.peerId, member);
  }
  // Unlucky draws: finish with a scan from a random start rather than return too few.
  const start = Math.floor(Math.random() * list.length);
  for (let i = 0; picked.size < want && i < list.length; i++) {
    const member = list[(start + i) % list.length]!;
    if (member.peerId !== exclude) picked.set(member.peerId, member);
  }
}

/**
 * Streams split into more than one cell. Only a stream with a cell of thousands of members opens
 * cells, so this is far more than real streams fill; the oldest entry makes room.
 */
const MAX_SPLIT_STREAMS = 10_000;

/** Swarms whose passed-over slot is remembered: only live swarms' backups report, a few per slot. */
const MAX_PASSED_OVER = 10_000;

export class MemoryStore implements SwarmStore {
  private readonly swarms = new Map<string, Swarm>();
  private handler: DeliveryHandler = () => false;
  private peerCount = 0;
  /** One instance: its own secret, drawn at start. */
  private readonly secret = randomBytes(32);
  /** info_hash → the last slot whose seeders were passed over; the oldest entry makes room. */
  private readonly passed = new Map<string, number>();
  /** info_hash → its cell count above 1, and when that lapses. */
  private readonly cells = new Map<string, { count: number; expiresAt: number }>();

  async announce(input: AnnounceInput): Promise<AnnounceOutput> {
    let swarm = this.swarms.get(input.infoHash);
    let existing = swarm?.byId.get(input.peerId);
    if (existing && existing.owner !== input.owner) {
      // Every owner lives in this process: a gone one has left already, so only proof takes over.
      if (!input.proven) return this.refusal('peer_id_taken', swarm!);
      this.remove(swarm!, existing);
      existing = undefined;
    }
    if (!existing && swarm && swarm.members.length >= input.maxPeersPerSwarm) return this.refusal('swarm_full', swarm);
    if (!swarm) {
      swarm = { byId: new Map(), members: [], byLocality: new Map(), ring: new RingIndex(), seeders: 0, downloaded: 0 };
      this.swarms.set(input.infoHash, swarm);
    }
    if (existing) {
      if (existing.seeder !== input.seeder) swarm.seeders += input.seeder ? 1 : -1;
      existing.seeder = input.seeder;
    } else {
      this.add(swarm, input);
    }
    if (input.completed) swarm.downloaded++;

    const picked = new Map<string, PickedPeer>();
    if (input.numwant > 0) {
      const local = swarm.byLocality.get(input.locality);
      if (local && local.length > 1) sample(local, input.numwant, input.peerId, picked);
      if (picked.size < input.numwant) sample(swarm.members, input.numwant - picked.size, input.peerId, picked);
    }
    return { outcome: 'ok', complete: swarm.seeders, incomplete: swarm.members.length - swarm.seeders, peers: [...picked.values()] };
  }

  async leave(infoHash: string, peerId: string, owner: string): Promise<void> {
    const swarm = this.swarms.get(infoHash);
    const member = swarm?.byId.get(peerId);
    if (!swarm || !member || member.owner !== owner) return;
    this.remove(swarm, member);
    if (swarm.members.length === 0) this.swarms.delete(infoHash);
  }

  async seedingWindow(infoHash: string, from: number, count: number): Promise<SeedingWindow> {
    const swarm = this.swarms.get(infoHash);
    if (!swarm) return { size: 0, members: [] };
    return { size: swarm.members.length, members: swarm.ring.from(from, count).map(({ peerId, address, report }) => ({ peerId, address, report })) };
  }

  async ringPlace(infoHash: string, peerId: string, from: number): Promise<{ size: number; place: number | null }> {
    const swarm = this.swarms.get(infoHash);
    const member = swarm?.byId.get(peerId);
    return { size: swarm?.members.length ?? 0, place: member ? swarm!.ring.placeOf(member, from) : null };
  }

  async coordinationSecret(): Promise<Buffer> {
    return this.secret;
  }

  async report(infoHash: string, peerId: string, report: string): Promise<void> {
    const member = this.swarms.get(infoHash)?.byId.get(peerId);
    if (member) member.report = report.slice(0, MAX_REPORT_LENGTH);
  }

  async cellCount(infoHash: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    const entry = this.cells.get(infoHash);
    if (!entry || entry.expiresAt <= now) {
      this.cells.delete(infoHash);
      return 1;
    }
    entry.expiresAt = now + ttlMs;
    return entry.count;
  }

  async openCells(infoHash: string, atLeast: number, ttlMs: number): Promise<number> {
    const count = await this.cellCount(infoHash, ttlMs);
    if (atLeast <= count) return count;
    this.cells.delete(infoHash);
    if (this.cells.size >= MAX_SPLIT_STREAMS) this.cells.delete(this.cells.keys().next().value!);
    this.cells.set(infoHash, { count: atLeast, expiresAt: Date.now() + ttlMs });
    return atLeast;
  }

  async passOver(infoHash: string, slot: number): Promise<void> {
    this.passed.delete(infoHash);
    if (this.passed.size >= MAX_PASSED_OVER) this.passed.delete(this.passed.keys().next().value!);
    this.passed.set(infoHash, slot);
  }

  async passedOver(infoHash: string, slot: number): Promise<boolean> {
    return this.passed.get(infoHash) === slot;
  }

  private remove(swarm: Swarm, member: Member): void {
    swarm.byId.delete(member.peerId);
    removeAt(swarm.members, member.index, 'index');
    swarm.ring.remove(member);
    const local = swarm.byLocality.get(member.locality)!;
    removeAt(local, member.localityIndex, 'localityIndex');
    if (local.length === 0) swarm.byLocality.delete(member.locality);
    if (member.seeder) swarm.seeders--;
    this.peerCount--;
  }

  async scrape(infoHashes: string[] | undefined, limit: number): Promise<Map<string, ScrapeFile>> {
    const files = new Map<string, ScrapeFile>();
    for (const infoHash of infoHashes ?? this.swarms.keys()) {
      // A bare scrape walks only as many swarms as it may list, however many there are.
      if (files.size >= limit) break;
      const swarm = this.swarms.get(infoHash);
      files.set(infoHash, swarm
        ? { complete: swarm.seeders, incomplete: swarm.members.length - swarm.seeders, downloaded: swarm.downloaded }
        : { complete: 0, incomplete: 0, downloaded: 0 });
    }
    return files;
  }

  async deliver(deliveries: Delivery[]): Promise<boolean[]> {
    return deliveries.map((delivery) => this.handler(delivery.toOwner, delivery));
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  async counts(): Promise<StoreCounts> {
    return { swarms: this.swarms.size, peers: this.peerCount };
  }

  async close(): Promise<void> {
    this.swarms.clear();
    this.peerCount = 0;
  }

  private add(swarm: Swarm, input: AnnounceInput): void {
    let local = swarm.byLocality.get(input.locality);
    if (!local) {
      local = [];
      swarm.byLocality.set(input.locality, local);
    }
    const member: Member = {
      peerId: input.peerId,
      owner: input.owner,
      proven: input.proven,
      address: input.address,
      locality: input.locality,
      seeder: input.seeder,
      ringKey: ringKey(this.secret, input.peerId),
      report: null,
      index: swarm.members.length,
      localityIndex: local.length,
    };
    swarm.members.push(member);
    swarm.ring.insert(member);
    local.push(member);
    swarm.byId.set(input.peerId, member);
    if (input.seeder) swarm.seeders++;
    this.peerCount++;
  }

  private refusal(outcome: 'peer_id_taken' | 'swarm_full', swarm: Swarm): AnnounceOutput {
    return { outcome, complete: swarm.seeders, incomplete: swarm.members.length - swarm.seeders, peers: [] };
  }
}
