// A live viewer without a video element: it follows the media playlist in real time and drives a
// p2p-media-loader Core the way the hls.js integration does under Swarmcast's player — playhead
// `liveLatency` behind the edge, one segment request at a time ahead of it (hls.js loads
// fragments in order), the policy re-planned every second — and keeps a simulated buffer: a
// segment not loaded when the playhead reaches it is a late segment, and playback stalls on it.
import { performance } from 'node:perf_hooks';
import type { Core, Segment } from 'p2p-media-loader-core';
import {
  initialCoreConfig,
  LIVE_LATENCY_SLACK_SEC,
  PEER_FIRST_MAX_BUFFER_SEC,
  STALL_MEMORY_MS,
  type LevelFields,
  type PolicyOptions,
  type SeedingPlanner,
  type SeedingRole,
} from '@swarmcast/player-sdk/policy';
import { fetchText, parseMediaPlaylist, type MediaPlaylist } from '../hls-playlists.ts';
import { classifyFetch, FETCH_REASONS, type FetchReason } from './fetch-reason.ts';

export interface LivePlaybackOptions extends PolicyOptions {
  /** The rendition's media playlist. */
  playlistUrl: string;
  /** The rendition as hls.js parsed it: with the manifest URL it names the swarm, as the player's. */
  level: LevelFields;
  statsIntervalMs: number;
  /** Follow the tracker's seeding coordination (the SDK's `coordination` option). */
  coordination: boolean;
}

/** The swarm this viewer plays, and the player's planner that decides its role and plan in it. */
export interface SwarmPlanning {
  planner: SeedingPlanner;
  infoHash: string;
  /** p2p-media-loader's index of the stream in the swarm's name. */
  streamIndex: string;
}

export interface LiveStats {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  /** Peers connected now, and connections made since the start. */
  peers: number;
  peerConnections: number;
  segmentsLoaded: number;
  segmentsFromPeers: number;
  /** Bytes of the segments this viewer played: what it would have fetched over HTTP alone. */
  segmentBytes: number;
  lateSegments: number;
  stallSec: number;
  /** Seconds between the playhead and the live edge; null before playback starts. */
  latencySec: number | null;
  startupSec: number | null;
  /** Seconds from its start to its first peer connection (what the simulator's joiners wait for); null before one. */
  connectSec: number | null;
  /** Times the playhead fell more than `liveLatency + LIVE_LATENCY_SLACK_SEC` behind and jumped forward, as hls.js does. */
  latencyResyncs: number;
  segmentErrors: number;
  playlistErrors: number;
  /** Lowest and highest media sequence number this viewer loaded (null before the first). */
  firstSequence: number | null;
  lastSequence: number | null;
  /** Segment requests this viewer sent to the origin, by reason (fetch-reason.ts). */
  originFetches: Record<FetchReason, number>;
  /** Seconds spent in each seeding role ('none': no coordination signal). */
  roleSec: Record<SeedingRole['kind'] | 'none', number>;
  /** The seeding role now (null: no coordination signal). */
  role: SeedingRole['kind'] | null;
}

/** One segment request to the origin, reported as it leaves. */
export interface OriginFetch {
  sequence: number;
  reason: FetchReason;
}

/** p2p-media-loader's default HTTP window, in force until the policy plans one (or always, for `library-default`). */
const LIBRARY_HTTP_WINDOW_SEC = 15;

/** Byte counts the core reports, kept by the process that owns the core. */
export interface TransferCounters {
  http: number;
  p2p: number;
  uploaded: number;
  peers: number;
  peerConnections: number;
  /** Where each loaded segment (by URL) came from, as the core's onSegmentLoaded said. */
  sources: Map<string, 'http' | 'p2p'>;
}

type SegmentState = 'pending' | 'loading' | 'loaded' | 'failed';
interface LiveSegment extends Segment {
  sequence: number;
  state: SegmentState;
}

const TICK_MS = 250;
const REPLAN_MS = 1000;

export class LivePlayback {
  private readonly segments = new Map<number, LiveSegment>();
  /** The same segments by URL: every origin request is looked up here. */
  private readonly segmentsByUrl = new Map<string, LiveSegment>();
  private targetDuration = 2;
  private edge = NaN;
  private edgeReadAt = 0;
  private playhead = NaN;
  private playing = false;
  private stalledOn: number | null = null;
  private lastStallAt = -Infinity;
  private loading = false;
  private readonly startedAt = performance.now();
  private lastTickAt = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private readonly counts = { segmentsLoaded: 0, segmentsFromPeers: 0, segmentBytes: 0, lateSegments: 0, stallSec: 0, startupSec: null as number | null, connectSec: null as number | null, latencyResyncs: 0, segmentErrors: 0, playlistErrors: 0, firstSequence: null as number | null, lastSequence: null as number | null };
  private readonly originFetches = Object.fromEntries(FETCH_REASONS.map((reason) => [reason, 0])) as Record<FetchReason, number>;
  /** Segments (by URL) a peer started to send: an HTTP request for one of them finishes what a peer did not. */
  private readonly peerAttempts = new Set<string>();
  private httpWindowSec: number;
  private role: SeedingRole | null = null;
  private readonly roleSec: LiveStats['roleSec'] = { seeder: 0, backup: 0, relay: 0, none: 0 };

  constructor(
    private readonly core: Core,
    private readonly options: LivePlaybackOptions,
    private readonly transfer: TransferCounters,
    private readonly onOriginFetch: (fetch: OriginFetch) => void,
    private readonly swarm: SwarmPlanning,
  ) {
    this.httpWindowSec = initialCoreConfig(options).highDemandTimeWindow ?? LIBRARY_HTTP_WINDOW_SEC;
    core.addEventListener('onPeerConnect', () => {
      this.counts.connectSec ??= Math.round((performance.now() - this.startedAt) / 100) / 10;
    });
    core.addEventListener('onSegmentStart', ({ segment, downloadSource }) => {
      if (downloadSource === 'p2p') this.peerAttempts.add(segment.url);
    });
  }

  /** Called once per segment request that really goes to the origin (the core's httpRequestSetup hook, or ours). */
  originRequest(url: string, range: { start: number } | undefined): void {
    const segment = this.segmentsByUrl.get(url);
    if (segment === undefined) return;
    const reason = classifyFetch({
      starting: !this.playing,
      peerAttempted: this.peerAttempts.has(url),
      resumesPeerBytes: (range?.start ?? 0) > 0,
      connectedPeers: this.transfer.peers,
      secondsAhead: segment.startTime - this.playhead,
      httpWindowSec: this.httpWindowSec,
      seeder: this.role?.kind === 'seeder' && this.transfer.peers > 0,
    });
    this.originFetches[reason]++;
    if (this.playing) this.swarm.planner.originFetch(this.swarm.infoHash, this.transfer.peers);
    this.onOriginFetch({ sequence: segment.sequence, reason });
  }

  async start(onStats: (stats: LiveStats) => void): Promise<void> {
    this.core.setIsLive(true);
    this.core.addStreamIfNoneExists({ runtimeId: this.options.playlistUrl, type: 'main', index: this.swarm.streamIndex });
    this.swarm.planner.follow(this.swarm.infoHash);
    await this.refreshPlaylist();
    this.replan();
    this.schedulePlaylist();
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(setInterval(() => this.replan(), REPLAN_MS));
    this.timers.push(setInterval(() => onStats(this.stats()), this.options.statsIntervalMs));
  }

  stop(): void {
    this.abort.abort();
    for (const timer of this.timers) clearInterval(timer);
  }

  stats(): LiveStats {
    return {
      httpBytes: this.transfer.http,
      p2pBytes: this.transfer.p2p,
      uploadedBytes: this.transfer.uploaded,
      peers: this.transfer.peers,
      peerConnections: this.transfer.peerConnections,
      ...this.counts,
      originFetches: { ...this.originFetches },
      roleSec: { ...this.roleSec },
      role: this.role?.kind ?? null,
      // As hls.js reports it: the playlist's edge plus the playlist's age, minus the playhead.
      latencySec: this.playing ? Math.round((this.edge + (performance.now() - this.edgeReadAt) / 1000 - this.playhead) * 10) / 10 : null,
    };
  }

  /** A player reloads a live playlist about every target duration. */
  private schedulePlaylist(): void {
    const timer = setTimeout(() => {
      void this.refreshPlaylist().finally(() => {
        if (!this.abort.signal.aborted) this.schedulePlaylist();
      });
    }, this.targetDuration * 1000);
    this.timers.push(timer);
  }

  private async refreshPlaylist(): Promise<void> {
    let playlist: MediaPlaylist;
    try {
      playlist = parseMediaPlaylist(await fetchText(this.options.playlistUrl, this.abort.signal), this.options.playlistUrl);
    } catch {
      if (!this.abort.signal.aborted) this.counts.playlistErrors++;
      return;
    }
    this.targetDuration = playlist.targetDuration;
    const added: LiveSegment[] = [];
    for (const entry of playlist.segments) {
      if (this.segments.has(entry.sequence)) continue;
      // One time line for every viewer: sequence × target duration (the sample's segments are all that long).
      const startTime = entry.sequence * playlist.targetDuration;
      const segment: LiveSegment = { runtimeId: entry.url, externalId: entry.sequence, url: entry.url, startTime, endTime: startTime + entry.duration, sequence: entry.sequence, state: 'pending' };
      this.segments.set(entry.sequence, segment);
      this.segmentsByUrl.set(segment.url, segment);
      added.push(segment);
    }
    // Segments that left the playlist and are behind the playhead are gone for good, as in hls.js.
    const removed = [...this.segments.values()].filter((s) => s.sequence < playlist.mediaSequence && s.endTime <= this.playhead);
    for (const segment of removed) {
      this.segments.delete(segment.sequence);
      this.segmentsByUrl.delete(segment.url);
      this.peerAttempts.delete(segment.url);
    }
    this.core.updateStream(this.options.playlistUrl, added, removed.map((s) => s.runtimeId));
    const last = playlist.segments[playlist.segments.length - 1];
    if (last) {
      this.edge = last.sequence * playlist.targetDuration + last.duration;
      this.edgeReadAt = performance.now();
    }
    if (Number.isNaN(this.playhead) && last) {
      const first = playlist.segments[0]!;
      this.playhead = Math.max(first.sequence * playlist.targetDuration, this.edge - this.options.liveLatency);
    }
  }

  private segmentAt(time: number): LiveSegment | undefined {
    return this.segments.get(Math.floor(time / this.targetDuration));
  }

  /** Seconds of loaded media from the playhead on, without a gap. */
  private bufferAhead(): number {
    let end = this.playhead;
    for (let segment = this.segmentAt(end); segment?.state === 'loaded'; segment = this.segments.get(segment.sequence + 1)) end = segment.endTime;
    return Math.max(0, end - this.playhead);
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = (now - this.lastTickAt) / 1000;
    this.lastTickAt = now;
    if (Number.isNaN(this.playhead)) return;
    const atPlayhead = this.segmentAt(this.playhead);
    if (!this.playing && atPlayhead?.state === 'loaded') {
      this.playing = true;
      this.counts.startupSec = Math.round((now - this.startedAt) / 100) / 10;
    }
    this.roleSec[this.role?.kind ?? 'none'] += elapsed;
    if (this.playing) this.advance(elapsed, now);
    if (this.playing && this.edge - this.playhead > this.options.liveLatency + LIVE_LATENCY_SLACK_SEC) {
      this.playhead = this.edge - this.options.liveLatency;
      this.stalledOn = null;
      this.counts.latencyResyncs++;
    }
    this.core.updatePlayback(this.playhead, 1);
    this.requestNext();
  }

  private advance(elapsed: number, now: number): void {
    let remaining = elapsed;
    while (remaining > 0) {
      const segment = this.segmentAt(this.playhead);
      if (segment?.state !== 'loaded') {
        const sequence = Math.floor(this.playhead / this.targetDuration);
        if (this.stalledOn !== sequence) {
          this.stalledOn = sequence;
          this.counts.lateSegments++;
        }
        this.lastStallAt = now;
        this.counts.stallSec += remaining;
        return;
      }
      this.stalledOn = null;
      const step = Math.min(remaining, segment.endTime - this.playhead);
      this.playhead += step;
      remaining -= step;
    }
  }

  /** hls.js asks for one fragment at a time: the first not yet loaded from the playhead on. */
  private requestNext(): void {
    if (this.loading) return;
    const from = Math.floor(this.playhead / this.targetDuration);
    for (let sequence = from; sequence * this.targetDuration < this.playhead + PEER_FIRST_MAX_BUFFER_SEC; sequence++) {
      const segment = this.segments.get(sequence);
      if (segment === undefined) return;
      if (segment.state === 'loaded') continue;
      this.load(segment);
      return;
    }
  }

  private load(segment: LiveSegment): void {
    this.loading = true;
    segment.state = 'loading';
    // A failed segment is asked for again on the next tick, not at once: no tight retry loop.
    const done = (state: SegmentState) => {
      segment.state = state;
      this.loading = false;
      if (state === 'loaded') this.requestNext();
    };
    const loaded = (data: ArrayBuffer) => {
      this.counts.segmentsLoaded++;
      this.counts.segmentBytes += data.byteLength;
      this.counts.firstSequence = Math.min(this.counts.firstSequence ?? Infinity, segment.sequence);
      this.counts.lastSequence = Math.max(this.counts.lastSequence ?? -Infinity, segment.sequence);
      if (this.transfer.sources.get(segment.url) === 'p2p') this.counts.segmentsFromPeers++;
      done('loaded');
    };
    const failed = () => {
      this.counts.segmentErrors++;
      done('failed');
    };
    // p2p-media-loader's isP2PDisabled only makes segments "not loadable" by the core: its loadSegment
    // would still use peers. The hls.js integration then loads them with hls.js's own loader, as here.
    if (!this.core.isSegmentLoadable(segment.runtimeId)) {
      this.loadOverHttp(segment).then(loaded, failed);
      return;
    }
    this.core.loadSegment(segment.runtimeId, { onSuccess: ({ data }) => loaded(data), onError: failed }).catch(failed);
  }

  private async loadOverHttp(segment: LiveSegment): Promise<ArrayBuffer> {
    this.originRequest(segment.url, undefined);
    const response = await fetch(segment.url, { signal: this.abort.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.arrayBuffer();
    this.transfer.http += data.byteLength;
    this.transfer.sources.set(segment.url, 'http');
    return data;
  }

  /** Re-plans now (a coordination answer arrived); also runs every second. */
  replan(): void {
    if (Number.isNaN(this.playhead)) return;
    const { planner, infoHash } = this.swarm;
    this.role = planner.role(infoHash);
    const plan = planner.plan(
      {
        isLive: true,
        bufferAhead: this.bufferAhead(),
        connectedPeers: this.transfer.peers,
        recentStall: performance.now() - this.lastStallAt < STALL_MEMORY_MS,
        segmentDuration: this.targetDuration,
        sinceStartSec: (performance.now() - this.startedAt) / 1000,
      },
      infoHash,
    );
    if (!plan) return;
    this.httpWindowSec = plan.highDemandTimeWindow;
    this.core.applyDynamicConfig(plan);
  }
}
