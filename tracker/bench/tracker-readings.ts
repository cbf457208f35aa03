// What running tracker instances say about themselves over HTTP, and what their processes hold:
// the scale bench reads these before and after its window.
import { setTimeout as sleep } from 'node:timers/promises';
import { readRssBytes } from '@swarmcast/loadtest/proc-stats';
import { sum } from '@swarmcast/loadtest/samples';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import type { TrackerGroup } from './tracker-group.ts';

const HTTP_TIMEOUT_MS = 10_000;

async function get(url: string, path: string): Promise<Response> {
  const response = await fetch(trackerHttpUrl(url, path), { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} ${path}: HTTP ${response.status}`);
  return response;
}

export function trackerStats(trackers: TrackerGroup): Promise<TrackerStats[]> {
  return Promise.all(trackers.urls.map(async (url) => (await (await get(url, '/stats')).json()) as TrackerStats));
}

/**
 * The worst event-loop delay of any instance since the previous call (prom-client's default
 * metrics reset their histogram at each scrape), in ms: a stalled loop delays every answer.
 */
export async function eventLoopDelay(trackers: TrackerGroup): Promise<{ p99: number; max: number }> {
  const texts = await Promise.all(trackers.urls.map(async (url) => (await get(url, '/metrics')).text()));
  const worst = (name: string) => Math.max(...texts.map((text) => 1000 * Number(new RegExp(`^swarmcast_tracker_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)));
  return { p99: worst('nodejs_eventloop_lag_p99_seconds'), max: worst('nodejs_eventloop_lag_max_seconds') };
}

export interface MemoryReading {
  rssBytes: number;
  /** Part of RSS that V8 sizes after the recent allocation rate, not after what is retained. */
  youngGenerationBytes: number;
}

/** Summed over the instances, after full collections; freed pages go back to the system lazily, so twice, a moment apart. */
export async function settledMemory(trackers: TrackerGroup): Promise<MemoryReading> {
  await trackers.collectGarbage();
  await sleep(500);
  const heaps = await trackers.collectGarbage();
  await sleep(300);
  return {
    rssBytes: sum(trackers.pids.map(readRssBytes)),
    youngGenerationBytes: sum(heaps.map((heap) => heap.youngGenerationBytes)),
  };
}
