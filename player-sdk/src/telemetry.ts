/**
 * Audience telemetry: every `intervalMs` the player posts a compact beat to the tracker's
 * collector (`POST <tracker http URL>/telemetry`), which aggregates every viewer of a stream for
 * the dashboard. Counters are cumulative for the session, so a lost beat loses nothing: the next
 * one carries it. Nothing personal: a random id per player session (to count concurrent viewers
 * and drop repeats), the stream, transfer and playback counters, and the rendition.
 * Beats of several players on a page that fall due together go in one POST.
 * This module has no DOM dependency (options.ts imports it, and the load tester runs that in
 * Node); `telemetry-beacon.ts` wires it to a player and the page.
 */
import { trackerHttpUrl } from './tracker-url.ts';
import { OptionError } from './options.ts';
import type { SwarmcastStats } from './stats.ts';

export interface TelemetryOptions {
  /**
   * Collector URL.
   * @default the first tracker's URL with ws→http / wss→https and path `/telemetry`
   */
  url?: string;
  /**
   * Milliseconds between beats (1000–30000: the collector counts a viewer gone after 75 s without one).
   * @default 15000
   */
  intervalMs?: number;
  /**
   * Stream name on the dashboard.
   * @default `swarmId`, else the playlist URL without its query string
   */
  stream?: string;
}

export interface ResolvedTelemetry {
  url: string;
  intervalMs: number;
  stream: string;
}

export const DEFAULT_TELEMETRY_INTERVAL_MS = 15_000;
const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 30_000;
const MAX_STREAM_LENGTH = 256;
/** The collector's limit on beats per POST. */
const MAX_BEATS_PER_POST = 20;

/** The beat as the collector's schema (tracker/src/telemetry/beat-schema.ts) defines it. */
export interface Beat {
  v: 1;
  sid: string;
  seq: number;
  stream: string;
  http: number;
  p2p: number;
  up: number;
  peers: number;
  stalls: number;
  stallMs: number;
  watchMs: number;
  startupMs: number | null;
  latencyMs: number | null;
  errors: number;
  rendition: string | null;
  end?: boolean;
}

/** `ws://host:port/path?token=…` → `http://host:port/telemetry`. */
export function collectorUrlFor(tracker: string): string {
  return trackerHttpUrl(tracker, '/telemetry');
}

/** Null when telemetry is off, or on by default with no tracker to send to. */
export function resolveTelemetry(
  input: unknown,
  context: { trackers: string[]; src: string; swarmId: string | undefined },
): ResolvedTelemetry | null {
  if (input === false) return null;
  if (input !== true && input !== undefined && (input === null || typeof input !== 'object')) {
    throw new OptionError('telemetry', 'expected true, false or { url?, intervalMs?, stream? }');
  }
  const given = (typeof input === 'object' ? input : {}) as TelemetryOptions;
  let url: string;
  if (given.url !== undefined) {
    try {
      url = new URL(given.url, context.src).href;
    } catch {
      throw new OptionError('telemetry.url', `not a valid URL: ${String(given.url)}`);
    }
    if (!/^https?:$/.test(new URL(url).protocol)) throw new OptionError('telemetry.url', `expected an http: or https: URL, got ${given.url}`);
  } else if (context.trackers[0] !== undefined) {
    url = collectorUrlFor(context.trackers[0]);
  } else {
    return null;
  }
  const intervalMs = given.intervalMs ?? DEFAULT_TELEMETRY_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw new OptionError('telemetry.intervalMs', `expected an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}, got ${String(intervalMs)}`);
  }
  const stream = given.stream ?? context.swarmId ?? context.src.split('?', 1)[0]!;
  // No src yet (the engine entry): the stream is named once hls.js loads a playlist.
  const later = given.stream === undefined && context.src === '';
  if (typeof stream !== 'string' || (stream === '' && !later) || stream.length > MAX_STREAM_LENGTH) {
    throw new OptionError('telemetry.stream', `expected a string of 1 to ${MAX_STREAM_LENGTH} characters`);
  }
  return { url, intervalMs, stream };
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
      for (let i = 0; i < beats.length; i += MAX_BEATS_PER_POST) this.post(url, JSON.stringify({ beats: beats.slice(i, i + MAX_BEATS_PER_POST) }), transport);
    }
    this.queues.clear();
  }
}

