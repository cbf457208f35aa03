/** The <video>'s playback as the stats count it: startup, stalls, and what ends a stall without playing (a seek, a pause). */
import type { StatsRecorder } from './stats.ts';

export function watchPlayback(video: HTMLVideoElement, recorder: StatsRecorder): { destroy(): void } {
  const listeners = Object.entries({
    playing: () => recorder.playing(),
    timeupdate: () => {
      if (!video.paused && video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) recorder.playing();
    },
    waiting: () => {
      if (!video.seeking) recorder.waiting();
    },
    seeking: () => recorder.interrupted(),
    pause: () => recorder.interrupted(),
  } satisfies Partial<Record<keyof HTMLMediaElementEventMap, () => void>>);
  for (const [name, listener] of listeners) video.addEventListener(name, listener);
  return {
    destroy() {
      for (const [name, listener] of listeners) video.removeEventListener(name, listener);
    },
  };
}
