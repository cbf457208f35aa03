/**
 * Audience telemetry: every `intervalMs` the player posts a compact beat to the tracker's
 * collector (`POST <tracker http URL>/telemetry`), which aggregates every viewer of a stream for
 * the dashboard. Counters are cumulative for the session, so a lost beat loses nothing: the next
 * one carries it. Nothing personal: a random id per player session (to count concurrent viewers
 * and drop repeats), the stream, transfer and playback counters, and the rendition.
 * Beats of several players on a page that fall due together go in one POST.
 * The `telemetry` option is resolved in options.ts. This module has no DOM dependency (options.ts
 * imports it, and the load tester runs that in Node); `telemetry-beacon.ts` wires it to a player
 * and the page.
 */
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { MAX_BEATS_PER_BATCH } from '@swarmcast/protocol/telemetry';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import type { SwarmcastStats } from './stats.ts';

/** `ws://host:port/path?token=…` → `http://host:port/telemetry`. */
export function collectorUrlFor(tracker: string): string {
  return trackerHttpUrl(tracker, '/telemetry');
}

/** 128 random bits, base64url: tells sessions apart, identifies nobody. */
export function randomSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Milliseconds of watching: runs from the first frame while the video is not paused (stalls included). */
export class WatchClock {
  private total = 0;
  private since: number | null = null;

  start(now: number): void {
    this.since ??= now;
  }

  stop(now: number): void {
    if (this.since === null) return;
    this.total += now - this.since;
    this.since = null;
  }

  read(now: number): number {
    return Math.round(this.total + (this.since === null ? 0 : now - this.since));
  }
}

export interface BeatSample {
  stats: SwarmcastStats;
  watchMs: number;
  errors: number;
  rendition: string | null;
}

/** Numbers a session's beats and fills them from a sample. */
export class BeatSequence {
  private seq = 0;

  constructor(
    private readonly stream: string,
    readonly sid: string = randomSessionId(),
  ) {}

  next(sample: BeatSample, end = false): Beat {
    const { stats } = sample;
    const beat: Beat = {
      v: 1,
      sid: this.sid,
      seq: ++this.seq,
      stream: this.stream,
      http: stats.httpBytes,
      p2p: stats.p2pBytes,
      up: stats.uploadedBytes,
      peers: stats.peers,
      stalls: stats.stalls,
      stallMs: stats.stalledMs,
      watchMs: Math.max(sample.watchMs, stats.stalledMs),
      startupMs: stats.startupMs,
      latencyMs: stats.liveLatency === null ? null : Math.round(stats.liveLatency * 1000),
      errors: sample.errors,
      rendition: sample.rendition,
    };
    if (end) beat.end = true;
    return beat;
  }
}

export type Transport = 'fetch' | 'beacon';
export type PostBeats = (url: string, body: string, transport: Transport) => void;

/** Beats waiting for this turn's POST, by collector URL; the latest per session wins. */
export class BeatBatcher {
  private readonly queues = new Map<string, Map<string, Beat>>();
  private scheduled = false;

  constructor(private readonly post: PostBeats) {}

  add(url: string, beat: Beat): void {
    let queue = this.queues.get(url);
    if (!queue) this.queues.set(url, (queue = new Map()));
    queue.set(beat.sid, beat);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.flush('fetch'), 0);
  }

  flush(transport: Transport): void {
    this.scheduled = false;
    for (const [url, queue] of this.queues) {
      const beats = [...queue.values()];
      for (let i = 0; i < beats.length; i += MAX_BEATS_PER_BATCH) this.post(url, JSON.stringify({ beats: beats.slice(i, i + MAX_BEATS_PER_BATCH) }), transport);
    }
    this.queues.clear();
  }
}

