// The trackers a bench measures, ours or the reference, each its own process so CPU time and RSS
// are per tracker; a probe preloaded into each collects garbage on request.
import { fileURLToPath } from 'node:url';
import { startTrackerProcess, stopChild, type TrackerProcess } from '@swarmcast/testkit';
import type { ProbeReply, ProbeRequest } from './tracker-probe.ts';

export type TrackerKind = 'ours' | 'reference';

export interface TrackerGroupOptions {
  kind: TrackerKind;
  /** How many instances to start (several only make sense with a shared store, e.g. REDIS_URL). */
  count: number;
  /** Extra environment for every instance, on top of PORT, HOST and LOG_LEVEL. */
  env?: Record<string, string>;
  host?: string;
}

/** Running tracker instances, each its own process so CPU time and RSS are per tracker. */
export interface TrackerGroup {
  kind: TrackerKind;
  urls: string[];
  pids: number[];
  /** Collect garbage in every instance; resolves with each one's heap afterwards. */
  collectGarbage(): Promise<ProbeReply[]>;
  stop(): Promise<void>;
}

/** Ours is the testkit's default entry. */
const ENTRY: Record<TrackerKind, string | undefined> = {
  ours: undefined,
  reference: fileURLToPath(new URL('./reference-server.ts', import.meta.url)),
};
const PROBE = fileURLToPath(new URL('./tracker-probe.ts', import.meta.url));

export async function startTrackers(options: TrackerGroupOptions): Promise<TrackerGroup> {
  const trackers: TrackerProcess[] = [];
  try {
    for (let instance = 0; instance < options.count; instance++) {
      trackers.push(
        await startTrackerProcess(
          { ...options.env, LOG_LEVEL: 'warn', ...(options.host ? { HOST: options.host } : {}) },
          { entry: ENTRY[options.kind], execArgv: ['--expose-gc', '--import', PROBE], ipc: true, label: `${options.kind}#${instance}` },
        ),
      );
    }
  } catch (error) {
    await Promise.all(trackers.map((tracker) => stopChild(tracker.child)));
    throw error;
  }
  const children = trackers.map((tracker) => tracker.child);
  return {
    kind: options.kind,
    urls: trackers.map((tracker) => tracker.url),
    pids: children.map((child) => child.pid ?? -1),
    collectGarbage() {
      return Promise.all(children.map((child) => new Promise<ProbeReply>((resolve) => {
        const onMessage = (reply: ProbeReply) => {
          if (reply.type !== 'gc-done') return;
          child.off('message', onMessage);
          resolve(reply);
        };
        child.on('message', onMessage);
        child.send({ type: 'gc' } satisfies ProbeRequest);
      })));
    },
    async stop() {
      await Promise.all(children.map(stopChild));
    },
  };
}
