/**
 * One viewer's seeding decisions, made in one place for the player's session and the load
 * tester's virtual viewers, so a rehearsal measures the code the player ships: whether
 * coordination applies, the viewer's proven peer_id and the tracker URLs that carry its proof, its
 * role in a swarm from the tracker's answer, the loading plan the policy derives from a playback
 * snapshot and that role, a backup's report of its own origin fetches, and what the viewer tells
 * the tracker about itself (its uplink as its uploads show it, whether it uploads, its segments'
 * size and its mesh budget), from which the tracker sizes the seeding.
 *
 * Headless (no hls.js, no DOM): the clock, randomness and fetch are injectable. Without
 * coordination (off, not peer-first, no tracker, no P2P) every answer is the uncoordinated one:
 * no role, no peer_id of ours, the policy's plan as before coordination existed.
 */
import { newPeerIdentity, withPeerSecret } from '@swarmcast/protocol/peer-proof';
import { CoordinationClient, type ViewerReport } from './coordination-client.ts';
import { isPeerFirst, meshBudgetMs, planLoading, type LoadingPlan, type PlaybackSnapshot, type PolicyOptions } from './loading-policy.ts';
import { seedingRole, type SeedingRole } from './seeding-role.ts';
import { UplinkMeter } from './uplink-meter.ts';

/** Recent segments per swarm whose median size is reported. */
const SIZE_SAMPLES = 7;
/** Swarms whose segment sizes are kept (as many as the client follows). */
const MAX_SIZED_SWARMS = 16;

export interface SeedingPlannerSetup {
  /** The policy's options and the `coordination` option. */
  options: PolicyOptions & { coordination: boolean };
  /** Whether this viewer uses peers at all (P2P mode, P2P not disabled). */
  p2p: boolean;
  /** Tracker URLs (with their token, if any); the first one is asked about roles. */
  trackers: readonly string[];
  /** Whether this viewer uploads to peers (not on cellular, uploads allowed); default true. */
  uploads?: boolean;
  /** A coordination answer arrived: re-plan now rather than at the next tick. */
  onAnswer?: () => void;
  fetch?: typeof fetch;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** Numbers in [0, 1): the policy's stagger and the client's polling jitter. */
  random?: () => number;
  /** Fills a byte array with random bytes (the peer_id's secret). */
  randomBytes?: (bytes: Uint8Array) => Uint8Array;
}

export class SeedingPlanner {
  /** This viewer's peer_id in every swarm, when coordinated (p2p-media-loader draws its own otherwise). */
  readonly peerId: string;
  private readonly secret: string;
  private readonly client: CoordinationClient | null;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly uplink: UplinkMeter;
  /** info_hash → sizes of its recent segments, bytes. */
  private readonly segmentSizes = new Map<string, number[]>();
  /** The mesh budget of the last plan, ms (it follows the playlist's segment duration). */
  private budgetMs: number | null = null;
  /** Peers connected to this viewer now. */
  private peers = 0;

  constructor(private readonly setup: SeedingPlannerSetup) {
    ({ peerId: this.peerId, secret: this.secret } = newPeerIdentity(setup.randomBytes ?? ((bytes) => crypto.getRandomValues(bytes))));
    this.now = setup.now ?? (() => performance.now());
    this.random = setup.random ?? Math.random;
    this.uplink = new UplinkMeter(this.now);
    const tracker = setup.trackers[0];
    this.client =
      setup.p2p && setup.options.coordination && isPeerFirst(setup.options.policy) && tracker !== undefined
        ? new CoordinationClient({
            tracker,
            peerId: this.peerId,
            peerSecret: this.secret,
            ...(setup.fetch ? { fetch: setup.fetch } : {}),
            now: this.now,
            random: this.random,
            report: (infoHash) => this.report(infoHash),
            onAnswer: () => setup.onAnswer?.(),
          })
        : null;
  }

  /** Whether this viewer uploads to peers. */
  get uploads(): boolean {
    return this.setup.uploads ?? true;
  }

  /** Whether this viewer follows the tracker's seeding coordination. */
  get coordinated(): boolean {
    return this.client !== null;
  }

  /**
   * p2p-media-loader's identity settings: a coordinated viewer's peer_id is ours (so the tracker
   * can be asked about it) and its tracker URLs carry the secret that proves it.
   */
  coreIdentity(trackers: readonly string[]): { announceTrackers: string[]; trackerClientVersionPrefix?: string } {
    return this.client ? { announceTrackers: trackers.map((tracker) => this.proving(tracker)), trackerClientVersionPrefix: this.peerId } : { announceTrackers: [...trackers] };
  }

  /** A tracker URL as this viewer announces to it (a renewed token's, say). */
  proving(tracker: string): string {
    return this.client ? withPeerSecret(tracker, this.secret) : tracker;
  }

  /** The first tracker's URL has a renewed token: the next coordination polls carry it. */
  useTracker(tracker: string): void {
    this.client?.useTracker(tracker);
  }

  /** Ask the tracker about `infoHash` from now on (before its role is needed: the answer takes a round trip). */
  follow(infoHash: string | undefined): void {
    if (infoHash !== undefined) this.client?.watch(infoHash);
  }

  /** This viewer's role in `infoHash` now (and from now on, follow that swarm); null without a usable answer. */
  role(infoHash: string | undefined): SeedingRole | null {
    if (!this.client || infoHash === undefined) return null;
    this.follow(infoHash);
    return seedingRole(this.client.get(infoHash), this.now());
  }

  /** Members of `infoHash` as the tracker last said; null without an answer. */
  swarmSize(infoHash: string | undefined): number | null {
    return infoHash === undefined ? null : (this.client?.get(infoHash)?.swarmSize ?? null);
  }

  /** The loading plan for the playback now, in the swarm being played; null when the policy is not peer-first. */
  plan(snapshot: Omit<PlaybackSnapshot, 'role'>, infoHash: string | undefined): LoadingPlan | null {
    if (!isPeerFirst(this.setup.options.policy)) return null;
    if (snapshot.isLive) this.budgetMs = meshBudgetMs(this.setup.options, snapshot.segmentDuration);
    return planLoading({ ...snapshot, role: this.role(infoHash) }, this.setup.options, this.random());
  }

  /**
   * This viewer fetched a segment of `infoHash` from the origin while playing. A backup with
   * peers connected did so because its seeders did not bring it: the tracker is told at once.
   */
  originFetch(infoHash: string | undefined, connectedPeers: number): void {
    if (infoHash !== undefined && connectedPeers > 0 && this.role(infoHash)?.kind === 'backup') this.client?.reportMissed(infoHash);
  }

  /** `count` peers are connected now (after p2p-media-loader's onPeerConnect or onPeerClose). */
  connectedPeers(count: number): void {
    this.peers = count;
  }

  /** A chunk of `bytes` went to peer `peerId` (p2p-media-loader's onChunkUploaded). */
  uploaded(bytes: number, peerId: string): void {
    this.uplink.uploaded(bytes, peerId);
  }

  /** A segment of `infoHash` loaded, `bytes` long (from wherever). */
  segmentLoaded(infoHash: string | undefined, bytes: number): void {
    if (infoHash === undefined || !this.client) return;
    let sizes = this.segmentSizes.get(infoHash);
    if (!sizes) {
      if (this.segmentSizes.size >= MAX_SIZED_SWARMS) this.segmentSizes.delete(this.segmentSizes.keys().next().value!);
      this.segmentSizes.set(infoHash, (sizes = []));
    }
    sizes.push(bytes);
    if (sizes.length > SIZE_SAMPLES) sizes.shift();
  }

  /** What this viewer tells the tracker about itself in `infoHash`. */
  report(infoHash: string): ViewerReport {
    const sizes = [...(this.segmentSizes.get(infoHash) ?? [])].sort((a, b) => a - b);
    return {
      uplinkKbit: this.uplink.kbit,
      uploads: this.uploads,
      connected: this.peers > 0,
      segmentBytes: sizes.length === 0 ? null : sizes[Math.floor(sizes.length / 2)]!,
      budgetMs: this.budgetMs,
    };
  }

  stop(): void {
    this.client?.stop();
  }
}
