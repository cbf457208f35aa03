/**
 * The telemetry beats of one player: every `intervalMs` while it lives, one with
 * `navigator.sendBeacon` when the page is hidden, and the session's last (`end`) when the page is
 * left or the player destroyed. The beat itself and the batching are in `telemetry.ts`.
 */
import type Hls from 'hls.js';
import type { Emitter } from './events.ts';
import type { ResolvedTelemetry } from './options.ts';
import type { SwarmcastStats } from './stats.ts';
import { BeatBatcher, BeatSequence, WatchClock, type BeatSample, type PostBeats, type Transport } from './telemetry.ts';

/** fetch with keepalive (text/plain: a CORS-safelisted type, so no preflight), or sendBeacon when the page goes away. */
export const postBeats: PostBeats = (url, body, transport) => {
  if (transport === 'beacon' && typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(url, body)) return;
  fetch(url, { method: 'POST', body, keepalive: true, mode: 'cors', credentials: 'omit', headers: { 'content-type': 'text/plain;charset=UTF-8' } }).catch(
    // The next beat carries the same cumulative counters.
    () => undefined,
  );
};

/** One per page, shared by its players. */
const pageBatcher = new BeatBatcher(postBeats);

export interface TelemetrySources {
  video: HTMLVideoElement;
  stats: () => SwarmcastStats;
  hls: () => Hls | null;
  emitter: Emitter;
}

/** Starts the beats of one player; `stop()` sends the session's last beat. */
export function startTelemetry(config: ResolvedTelemetry, sources: TelemetrySources, batcher: BeatBatcher = pageBatcher): { stop(): void } {
  const { video } = sources;
  const sequence = new BeatSequence(config.stream);
  const clock = new WatchClock();
  let errors = 0;
  let ended = false;
  const now = () => performance.now();

  const rendition = (): string | null => {
    const hls = sources.hls();
    if (!hls) return null;
    const index = hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel;
    const level = hls.levels[index];
    if (!level) return null;
    return level.height ? `${level.height}p` : `L${index}`;
  };
  const sample = (): BeatSample => {
    const stats = sources.stats();
    if (stats.startupMs !== null && !video.paused) clock.start(now());
    return { stats, watchMs: clock.read(now()), errors, rendition: rendition() };
  };
  const send = (end: boolean, transport: Transport) => {
    batcher.add(config.url, sequence.next(sample(), end));
    if (transport === 'beacon') batcher.flush('beacon');
  };

  const onPlaying = () => clock.start(now());
  const onPause = () => clock.stop(now());
  const onError = () => {
    errors++;
  };
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') send(false, 'beacon');
  };
  const onPageHide = () => stop();
  video.addEventListener('playing', onPlaying);
  video.addEventListener('pause', onPause);
  video.addEventListener('ended', onPause);
  sources.emitter.on('error', onError);
  document.addEventListener('visibilitychange', onVisibility);
  addEventListener('pagehide', onPageHide);
  const timer = setInterval(() => send(false, 'fetch'), config.intervalMs);

  function stop(): void {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    send(true, 'beacon');
    video.removeEventListener('playing', onPlaying);
    video.removeEventListener('pause', onPause);
    video.removeEventListener('ended', onPause);
    sources.emitter.off('error', onError);
    document.removeEventListener('visibilitychange', onVisibility);
    removeEventListener('pagehide', onPageHide);
  }
  return { stop };
}
