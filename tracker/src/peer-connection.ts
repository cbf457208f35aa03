/** What the tracker keeps per WebSocket: the swarms it joined, offers awaiting its answer, its rate budget. */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { AccessGrant } from '@swarmcast/protocol/access-token';
import { provesPeerId } from '@swarmcast/protocol/peer-proof';

export interface Membership {
  infoHash: string;
  peerId: string;
  /** The store swarm it is a member of: its stream's cell (cells/cell-map.ts). */
  cell: string;
  /** It said at its last announce that it has everything. */
  seeder: boolean;
  lastAnnounceAt: number;
}

/** Offers waiting for an answer from this connection, bounded so a flood cannot grow it. */
const MAX_PENDING_OFFERS = 512;

interface PendingOffer {
  expiresAt: number;
  owner: string;
  sender: string;
}

export class PeerConnection {
  /**
   * The swarms this connection announced in. An array, not a Map: most connections hold one to
   * three (a rendition each) and a Map's table alone would cost an idle peer ~200 bytes.
   */
  private memberships: Membership[] = [];
  /** `${info_hash}\n${offerer peer_id}\n${offer_id}` → the offer's expiry, its sender's connection and its sender's key in `pendingPerSender`. */
  private pendingOffers: Map<string, PendingOffer> | undefined;
  /** `${info_hash}\n${sender's connection}` → how many of `pendingOffers` that sender has here. */
  private pendingPerSender: Map<string, number> | undefined;
  private tokens: number;
  private refilledAt: number;
  /** Messages of one connection are handled in arrival order, even across store round trips. */
  queue: Promise<void> = Promise.resolve();
  /** The client answered the last ping (or none was sent yet). */
  answeredPing = true;

  constructor(
    readonly key: string,
    readonly socket: WebSocket,
    readonly stream: Socket,
    readonly ip: string,
    readonly locality: string,
    private readonly messagesPerSecond: number,
    now: number,
    /** The access token's grant, checked at upgrade; the socket is closed once it expires. */
    readonly grant: AccessGrant | undefined,
    /** What the socket's `peer_secret` proves (peer-proof), if it gave one. */
    private readonly provenSuffix: string | undefined,
  ) {
    this.tokens = messagesPerSecond * 2;
    this.refilledAt = now;
  }

  /** Whether this socket proved `peerId` is its own. */
  proves(peerId: string): boolean {
    return this.provenSuffix !== undefined && provesPeerId(this.provenSuffix, peerId);
  }

  tokenExpired(now: number): boolean {
    return this.grant !== undefined && this.grant.expiresAt <= now;
  }

  get swarmCount(): number {
    return this.memberships.length;
  }

  membership(infoHash: string): Membership | undefined {
    for (const membership of this.memberships) if (membership.infoHash === infoHash) return membership;
    return undefined;
  }

  join(infoHash: string, peerId: string, cell: string, seeder: boolean, now: number): void {
    this.memberships.push({ infoHash, peerId, cell, seeder, lastAnnounceAt: now });
  }

  leave(infoHash: string): void {
    this.memberships = this.memberships.filter((membership) => membership.infoHash !== infoHash);
  }

  /** Removes and returns every membership (the socket closed). */
  leaveAll(): Membership[] {
    const all = this.memberships;
    this.memberships = [];
    return all;
  }

  /** Removes and returns the memberships not refreshed since `silentSince`. */
  expire(silentSince: number): Membership[] {
    const expired = this.memberships.filter((membership) => membership.lastAnnounceAt <= silentSince);
    if (expired.length > 0) this.memberships = this.memberships.filter((membership) => membership.lastAnnounceAt > silentSince);
    return expired;
  }

  /** Token bucket: `messagesPerSecond` sustained, bursts of twice that. */
  takeToken(now: number): boolean {
    const capacity = this.messagesPerSecond * 2;
    this.tokens = Math.min(capacity, this.tokens + ((now - this.refilledAt) * this.messagesPerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Records an offer awaiting this connection's answer, unless its sender (a peer: one connection
   * in one swarm) already has `perSender` unexpired offers waiting here: then records nothing and
   * returns false.
   */
  addPendingOffer(infoHash: string, fromPeerId: string, offerId: string, fromOwner: string, expiresAt: number, now: number, perSender: number): boolean {
    const sender = `${infoHash}\n${fromOwner}`;
    if ((this.pendingPerSender?.get(sender) ?? 0) >= perSender) {
      // Expired offers leave at the next sweep; on this rare path they must not count.
      this.dropExpiredOffers(now);
      if ((this.pendingPerSender?.get(sender) ?? 0) >= perSender) return false;
    }
    this.pendingOffers ??= new Map();
    this.pendingPerSender ??= new Map();
    const key = `${infoHash}\n${fromPeerId}\n${offerId}`;
    // The same offer again replaces its entry; otherwise the oldest makes room.
    const replaced = this.pendingOffers.get(key);
    if (replaced) this.forgetOffer(key, replaced);
    else if (this.pendingOffers.size >= MAX_PENDING_OFFERS) {
      const [oldest, entry] = this.pendingOffers.entries().next().value as [string, PendingOffer];
      this.forgetOffer(oldest, entry);
    }
    this.pendingOffers.set(key, { expiresAt, owner: fromOwner, sender });
    this.pendingPerSender.set(sender, (this.pendingPerSender.get(sender) ?? 0) + 1);
    return true;
  }

  /** Consumes the pending offer (one answer per offer); returns its sender's connection and its expiry. */
  takePendingOffer(infoHash: string, fromPeerId: string, offerId: string, now: number): Pick<PendingOffer, 'owner' | 'expiresAt'> | undefined {
    const key = `${infoHash}\n${fromPeerId}\n${offerId}`;
    const pending = this.pendingOffers?.get(key);
    if (pending === undefined) return undefined;
    this.forgetOffer(key, pending);
    return pending.expiresAt > now ? pending : undefined;
  }

  dropExpiredOffers(now: number): void {
    if (!this.pendingOffers) return;
    for (const [key, pending] of this.pendingOffers) if (pending.expiresAt <= now) this.forgetOffer(key, pending);
    if (this.pendingOffers.size === 0) {
      this.pendingOffers = undefined;
      this.pendingPerSender = undefined;
    }
  }

  private forgetOffer(key: string, pending: PendingOffer): void {
    this.pendingOffers!.delete(key);
    const left = this.pendingPerSender!.get(pending.sender)! - 1;
    if (left === 0) this.pendingPerSender!.delete(pending.sender);
    else this.pendingPerSender!.set(pending.sender, left);
  }
}
