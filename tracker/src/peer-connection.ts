/** What the tracker keeps per WebSocket: the swarms it joined, offers awaiting its answer, its rate budget. */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { AccessGrant } from '@swarmcast/protocol/access-token';

export interface Membership {
  infoHash: string;
  peerId: string;
  lastAnnounceAt: number;
}

/** Offers waiting for an answer from this connection, bounded so a flood cannot grow it. */
const MAX_PENDING_OFFERS = 512;

export class PeerConnection {
  /**
   * The swarms this connection announced in. An array, not a Map: most connections hold one to
   * three (a rendition each) and a Map's table alone would cost an idle peer ~200 bytes.
   */
  private memberships: Membership[] = [];
  /** `${info_hash}\n${offerer peer_id}\n${offer_id}` → the offer's expiry and its sender's connection. */
  private pendingOffers: Map<string, { expiresAt: number; owner: string }> | undefined;
  private tokens: number;
  private refilledAt: number;
  /** Messages of one connection are handled in arrival order, even across store round trips. */
  queue: Promise<void> = Promise.resolve();

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
  ) {
    this.tokens = messagesPerSecond * 2;
    this.refilledAt = now;
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

  join(infoHash: string, peerId: string, now: number): void {
    this.memberships.push({ infoHash, peerId, lastAnnounceAt: now });
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

  addPendingOffer(infoHash: string, fromPeerId: string, offerId: string, fromOwner: string, expiresAt: number): void {
    this.pendingOffers ??= new Map();
    if (this.pendingOffers.size >= MAX_PENDING_OFFERS) {
      const oldest = this.pendingOffers.keys().next().value as string;
      this.pendingOffers.delete(oldest);
    }
    this.pendingOffers.set(`${infoHash}\n${fromPeerId}\n${offerId}`, { expiresAt, owner: fromOwner });
  }

  /** Consumes the pending offer (one answer per offer); returns its sender's connection. */
  takePendingOffer(infoHash: string, fromPeerId: string, offerId: string, now: number): string | undefined {
    const key = `${infoHash}\n${fromPeerId}\n${offerId}`;
    const pending = this.pendingOffers?.get(key);
    if (pending === undefined) return undefined;
    this.pendingOffers!.delete(key);
    return pending.expiresAt > now ? pending.owner : undefined;
  }

  dropExpiredOffers(now: number): void {
    if (!this.pendingOffers) return;
    for (const [key, { expiresAt }] of this.pendingOffers) if (expiresAt <= now) this.pendingOffers.delete(key);
    if (this.pendingOffers.size === 0) this.pendingOffers = undefined;
  }
}
