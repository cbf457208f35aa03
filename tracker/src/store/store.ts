/**
 * Where swarm state lives. The signaling logic talks only to this interface, so it runs the same
 * on the embedded memory store and on Redis shared by several tracker instances.
 *
 * A peer is owned by one connection, named by an opaque `owner` key the hub assigns; frames for a
 * peer are delivered to its owner through the handler given to `onDelivery`, wherever the
 * announce that picked it arrived.
 *
 * Ownership of a peer_id in a swarm (the same in every store): a connection that proves the
 * peer_id (`proven`, see @swarmcast/protocol/peer-proof) takes it from any other owner, since that
 * owner is a squatter or the viewer's own earlier socket; otherwise the first owner keeps it while
 * it is proven, or while its instance lives.
 */
import type { ScrapeFile } from '@swarmcast/protocol/wire';

export interface AnnounceInput {
  infoHash: string;
  peerId: string;
  owner: string;
  /** The owner proved the peer_id is its own. */
  proven: boolean;
  /** Where the announce came from, as limits count it (`limitKey`); ranks are shared out by it. */
  address: string;
  /** Peers with the same key are preferred when picking (edge region or network prefix). */
  locality: string;
  seeder: boolean;
  /** The announce carried event "completed": counted in scrape's `downloaded`. */
  completed: boolean;
  /** How many other peers to pick for this peer's offers. */
  numwant: number;
  maxPeersPerSwarm: number;
  /** How long the membership lasts without another announce. */
  ttlMs: number;
}

export type AnnounceOutcome = 'ok' | 'peer_id_taken' | 'swarm_full';

export interface PickedPeer {
  peerId: string;
  /** The connection holding it, so frames for it are routed without another lookup. */
  owner: string;
}

export interface AnnounceOutput {
  outcome: AnnounceOutcome;
  complete: number;
  incomplete: number;
  /** Peers picked, never the announcing peer; same-locality peers first. */
  peers: PickedPeer[];
}

/** A frame for one peer: a relayed offer or answer, addressed to the connection holding it. */
export interface Delivery {
  kind: 'offer' | 'answer';
  infoHash: string;
  toPeerId: string;
  toOwner: string;
  fromPeerId: string;
  /** The sender's connection: an answer to this offer goes straight back to it. */
  fromOwner: string;
  offerId: string;
  frame: string;
}

/** Hands a delivery to its connection; false if that connection no longer holds the peer. */
export type DeliveryHandler = (owner: string, delivery: Delivery) => boolean;

/** The most members one `seedingWindow` lists (Redis passes them through Lua's unpack, which fails past ~8,000). */
export { MAX_SEEDING_WINDOW } from '@swarmcast/protocol/seeding-order';

export interface SeedingWindow {
  size: number;
  /** `report`: what the member last said about itself (`report`), as given. */
  members: Array<{ peerId: string; address: string; report: string | null }>;
}

/** The longest report a member keeps (coordination/mesh-capacity.ts packs one in ~30 characters). */
export const MAX_REPORT_LENGTH = 64;

export interface StoreCounts {
  swarms: number;
  peers: number;
}

export interface SwarmStore {
  /** Joins or refreshes a peer and picks others for its offers, in one step. */
  announce(input: AnnounceInput): Promise<AnnounceOutput>;
  /** Removes a peer if `owner` still owns it. */
  leave(infoHash: string, peerId: string, owner: string): Promise<void>;
  /**
   * The seeding ring (seeding-ring.ts): the swarm's live size, and up to `count` (at most
   * MAX_SEEDING_WINDOW) live members met clockwise from `from`, with their addresses. Members held by a tracker instance that is gone are
   * not listed. Cost grows with `count`, not with the swarm.
   */
  seedingWindow(infoHash: string, from: number, count: number): Promise<SeedingWindow>;
  /**
   * The swarm's live size, and how many members lie clockwise from `from` before `peerId` on the
   * ring; null if it is not a member. Members that expired but are not yet swept may still count.
   */
  ringPlace(infoHash: string, peerId: string, from: number): Promise<{ size: number; place: number | null }>;
  /**
   * How many cells the stream `infoHash` is split into (cells/cell-map.ts): 1 until `openCells`
   * raised it. Reading keeps the count for another `ttlMs`; unread for that long, it lapses to 1.
   */
  cellCount(infoHash: string, ttlMs: number): Promise<number>;
  /** Raises the stream's cell count to at least `atLeast` (never lowers it); the count after. */
  openCells(infoHash: string, atLeast: number, ttlMs: number): Promise<number>;
  /** Keeps what a member says about itself (at most MAX_REPORT_LENGTH characters) for as long as it is a member; nothing for a non-member. */
  report(infoHash: string, peerId: string, report: string): Promise<void>;
  /** A secret every tracker instance on this store shares and no client learns (it keys the seeding order). */
  coordinationSecret(): Promise<Buffer>;
  /**
   * Records that a swarm's seeders did not seed in `slot` (a backup had to fetch): every instance
   * then passes over them for the rest of the slot. Kept for `ttlMs`.
   */
  passOver(infoHash: string, slot: number, ttlMs: number): Promise<void>;
  /** Whether the swarm's seeders were passed over in `slot`. */
  passedOver(infoHash: string, slot: number): Promise<boolean>;
  /** Counts per swarm; without hashes, up to `limit` swarms. Unknown swarms count zero. */
  scrape(infoHashes: string[] | undefined, limit: number): Promise<Map<string, ScrapeFile>>;
  /**
   * Routes each frame to its `toOwner`, on this instance or another. False where the peer is
   * known to be gone; a frame for another instance counts as delivered once that instance has it.
   */
  deliver(deliveries: Delivery[]): Promise<boolean[]>;
  onDelivery(handler: DeliveryHandler): void;
  counts(): Promise<StoreCounts>;
  close(): Promise<void>;
}
