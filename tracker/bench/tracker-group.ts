// The trackers a bench measures, ours or the reference, each its own process so CPU time and RSS
// are per tracker; a probe preloaded into each collects garbage on request.
import { fileURLToPath } from 'node:url';
import { startTrackerProcess, stopChild, type HeapReading, type TrackerProcess } from '@swarmcast/testkit';

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
  collectGarbage(): Promise<HeapReading[]>;
  stop(): Promise<void>;
}

/** Ours is the testkit's default entry. */
const ENTRY: Record<TrackerKind, string | undefined> = {
  ours: undefined,
  reference: fileURLToPath(new URL('./reference-server.ts', import.meta.url)),
};

export async function startTrackers(options: TrackerGroupOptions): Promise<TrackerGroup> {
  const trackers: TrackerProcess[] = [];
  try {
    for (let instance = 0; instance < options.count; instance++) {
      trackers.push(
        await startTrackerProcess(
          { ...options.env, LOG_LEVEL: 'warn', ...(options.host ? { HOST: options.host } : {}) },
          { entry: ENTRY[options.kind], heapProbe: true, label: `${options.kind}#${instance}` },
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
    collectGarbage: () => Promise.all(trackers.map((tracker) => tracker.collectGarbage())),
    async stop() {
      await Promise.all(children.map(stopChild));
    },
  };
}
