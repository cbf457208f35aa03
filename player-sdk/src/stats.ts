/** Playback and transfer counters of one player, and the arithmetic behind the `stats` event. */
import type { FallbackReason, TransportMode } from './loading-policy.ts';

export type SegmentSource = 'http' | 'p2p';

export interface IntegrityStats {
  /** Whether peer segments are checked against the origin's SHA-256 manifest. */
  enabled: boolean;
  /** Peer segments whose hash matched. */
  verified: number;
  /** Peer segments dropped: hash mismatch, unknown to the manifest, or sent by a banned peer. */
  rejected: number;
  /** Peers banned for the session after sending altered data. */
  bannedPeers: number;
}

export interface SwarmcastStats {
  /** Segment bytes downloaded from the origin (HTTP). */
  httpBytes: number;
  /** Segment bytes downloaded from peers. */
  p2pBytes: number;
  /** Segment bytes sent to peers. */
  uploadedBytes: number;
  /** Share of downloaded segment bytes that came from peers, in percent (0–100). */
  offloadPercent: number;
  /** Segments fully loaded, by source. */
  segments: Record<SegmentSource, number>;
  /** Peers currently connected. */
  peers: number;
  /** Seconds behind the live edge (null for VOD or before playback). */
  liveLatency: number | null;
  /** Seconds buffered ahead of the playhead. */
  bufferAhead: number;
  /** Times playback stopped for lack of data after it had started. */
  stalls: number;
  /** Milliseconds spent stalled, including a stall still going on. */
  stalledMs: number;
  /** Milliseconds from `createPlayer` to the first frame playing (null until then). */
  startupMs: number | null;
  /** `p2p` (hls.js + peers), `http` (hls.js, origin only) or `native` (the browser's own HLS). */
  mode: TransportMode;
  /** Why segments come from the origin only, or null while P2P is possible. */
  fallbackReason: FallbackReason | null;
  integrity: IntegrityStats;
  /**
   * Seeding coordination in the current rendition's swarm: this viewer's role (`seeder` fetches
   * new segments from the origin, `backup` at a deadline, `relay` waits for peers) and the swarm's
   * size as the tracker counts it; null without a coordination signal.
   */
  seeding: { role: 'seeder' | 'backup' | 'relay'; swarmSize: number | null } | null;
}

export function offloadPercent(p2pBytes: number, httpBytes: number): number {
  const total = p2pBytes + httpBytes;
  return total === 0 ? 0 : Math.round((p2pBytes / total) * 1000) / 10;
}

/** Accumulates counters; `now` is injected so stall and startup arithmetic is testable. */
export class StatsRecorder {
  private httpBytes = 0;
  private p2pBytes = 0;
  private uploadedBytes = 0;
  private readonly segments: Record<SegmentSource, number> = { http: 0, p2p: 0 };
  private readonly peers = new Set<string>();
  private stalls = 0;
  private stalledMs = 0;
  private stallStartedAt: number | null = null;
  private lastStallEndedAt = -Infinity;
  private playingAt: number | null = null;
  readonly integrity: IntegrityStats = { enabled: false, verified: 0, rejected: 0, bannedPeers: 0 };

  constructor(
    private readonly now: () => number,
    private readonly createdAt = now(),
  ) {}

  /** Seconds since the session started (the recorder is created with it). */
  get ageSec(): number {
    return (this.now() - this.createdAt) / 1000;
  }

  downloaded(bytes: number, source: SegmentSource): void {
    if (source === 'p2p') this.p2pBytes += bytes;
    else this.httpBytes += bytes;
  }

  segmentLoaded(source: SegmentSource): void {
    this.segments[source]++;
  }

  uploaded(bytes: number): void {
    this.uploadedBytes += bytes;
  }

  peerConnected(peerId: string): void {
    this.peers.add(peerId);
  }

  peerClosed(peerId: string): void {
    this.peers.delete(peerId);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** The media element is playing frames. */
  playing(): void {
    const now = this.now();
    this.playingAt ??= now;
    if (this.stallStartedAt !== null) {
      this.stalledMs += now - this.stallStartedAt;
      this.stallStartedAt = null;
      this.lastStallEndedAt = now;
    }
  }

  /** The media element waits for data; only counts once playback has started (startup is not a stall). */
  waiting(): void {
    if (this.playingAt === null || this.stallStartedAt !== null) return;
    this.stalls++;
    this.stallStartedAt = this.now();
  }

  /** A seek or pause ends a stall without counting the wait that follows as one. */
  interrupted(): void {
    if (this.stallStartedAt === null) return;
    this.stalledMs += this.now() - this.stallStartedAt;
    this.stallStartedAt = null;
  }

  stalledWithin(ms: number): boolean {
    return this.stallStartedAt !== null || this.now() - this.lastStallEndedAt < ms;
  }

  snapshot(live: Pick<SwarmcastStats, 'liveLatency' | 'bufferAhead' | 'mode' | 'fallbackReason' | 'seeding'>): SwarmcastStats {
    const now = this.now();
    return {
      httpBytes: this.httpBytes,
      p2pBytes: this.p2pBytes,
      uploadedBytes: this.uploadedBytes,
      offloadPercent: offloadPercent(this.p2pBytes, this.httpBytes),
      segments: { ...this.segments },
      peers: this.peers.size,
      liveLatency: live.liveLatency,
      bufferAhead: live.bufferAhead,
      stalls: this.stalls,
      stalledMs: Math.round(this.stalledMs + (this.stallStartedAt === null ? 0 : now - this.stallStartedAt)),
      startupMs: this.playingAt === null ? null : Math.round(this.playingAt - this.createdAt),
      mode: live.mode,
      fallbackReason: live.fallbackReason,
      integrity: { ...this.integrity },
      seeding: live.seeding,
    };
  }
}
