/**
 * hls.js's fatal errors: recovered from a few times (a media error by `recoverMediaError`, others
 * by loading again), then reported fatal.
 */
import type Hls from 'hls.js';
import type { Emitter } from './events.ts';
import { listenTo } from './hls-listeners.ts';

/** hls.js fatal errors the session recovers from before it gives up. */
const MAX_RECOVERIES = 3;

export function recoverFatalErrors(hls: Hls, emitter: Emitter): { destroy(): void } {
  const { Events, ErrorTypes } = hls.constructor as typeof Hls;
  let recoveries = 0;
  return {
    destroy: listenTo(hls, {
      [Events.ERROR]: (_event, data) => {
        if (!data.fatal) return;
        const message = `${data.type}: ${data.details}`;
        if (recoveries < MAX_RECOVERIES) {
          recoveries++;
          emitter.emit('error', { code: 'hls', message, fatal: false });
          if (data.type === ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
          else hls.startLoad();
          return;
        }
        emitter.emit('error', { code: 'hls', message, fatal: true });
      },
    }),
  };
}
