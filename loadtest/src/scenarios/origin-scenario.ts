// `origin`: autocannon against the origin with the request pattern of V viewers (see
// origin-request-plan.ts), optionally ramped in as a flash crowd. autocannon keeps the request
// rate; the per-second figures come from its response events, so ramp steps merge exactly.
import { runAutocannon, type AutocannonInstance } from './autocannon-runner.ts';
import type { RunBudget } from '../run-budget.ts';
import type { Progress } from '../progress.ts';
import { metric, type Chart, type Figure, type Metric, type ScenarioOutcome } from '../result.ts';
import { percentiles, round, sum } from '../samples.ts';
import { assignRenditions, followLiveEdge, readRenditions, viewerRequestRate, ViewerRequests, type AbrMix } from './origin-request-plan.ts';

export interface OriginScenarioOptions {
  origin: string;
  stream: string;
  vod: boolean;
  viewers: number;
  durationSec: number;
  /** Viewers arrive evenly over this many seconds (0: all at once). */
  rampSec: number;
  mix: AbrMix | undefined;
  timeoutSec: number;
}

/** A flash crowd arrives in this many steps at most: one autocannon instance each. */
const MAX_RAMP_STEPS = 10;

interface Second {
  requests: number;
  bytes: number;
  non2xx: number;
  errors: number;
  latencyMs: number[];
  viewers: number;
}

export async function runOriginScenario(options: OriginScenarioOptions, budget: RunBudget, progress: Progress): Promise<ScenarioOutcome> {
  const masterUrl = new URL(`/${options.vod ? 'vod' : 'live'}/${options.stream}/master.m3u8`, options.origin).href;
  const renditions = await readRenditions(masterUrl, budget.signal);
  if (options.mix) {
    const unknown = [...options.mix.keys()].filter((name) => !renditions.some((r) => r.variant.name === name));
    if (unknown.length > 0) throw new Error(`--mix names ${unknown.join(', ')}, not in ${masterUrl} (${renditions.map((r) => r.variant.name).join(', ')})`);
  }
  const assigned = assignRenditions(renditions, options.mix, options.viewers);
  const live = !options.vod;
  const following = new AbortController();
  const stopFollowing = () => following.abort();
  budget.signal.addEventListener('abort', stopFollowing);
  const followed = live ? followLiveEdge(renditions, following.signal) : Promise.resolve();

  let viewersActive = 0;
  const seconds: Second[] = [];
  const startedAt = Date.now();
  const secondNow = (): Second => {
    const index = Math.floor((Date.now() - startedAt) / 1000);
    while (seconds.length <= index) seconds.push({ requests: 0, bytes: 0, non2xx: 0, errors: 0, latencyMs: [], viewers: viewersActive });
    return seconds[index]!;
  };
  const statusCounts = new Map<number, number>();
  const errorCounts = new Map<string, number>();

  const steps = options.rampSec > 0 ? Math.min(MAX_RAMP_STEPS, options.viewers) : 1;
  const instances: AutocannonInstance[] = [];
  const runs: Promise<unknown>[] = [];
  const startStep = (step: number) => {
    const first = Math.floor((options.viewers * step) / steps);
    const last = Math.floor((options.viewers * (step + 1)) / steps);
    const viewers = assigned.slice(first, last).map((rendition, i) => new ViewerRequests(rendition, live, (first + i) * 7));
    if (viewers.length === 0) return;
    const remainingSec = Math.max(1, Math.round(options.durationSec - (Date.now() - startedAt) / 1000));
    const rate = sum(assigned.slice(first, last).map((rendition) => viewerRequestRate(rendition, live)));
    let turn = 0;
    let done: (value: unknown) => void = () => undefined;
    runs.push(new Promise((resolve) => { done = resolve; }));
    const instance = runAutocannon({
      url: options.origin,
      // Each connection stands for viewers of this step: kept alive, as a player's would be.
      connections: Math.max(1, Math.min(viewers.length, Math.ceil(rate))),
      overallRate: Math.max(1, Math.round(rate)),
      duration: remainingSec,
      timeout: options.timeoutSec,
      requests: [{
        setupRequest: (request) => {
          // Round-robin over the step's viewers: at the capped rate each makes its own requests in turn.
          const url = new URL(viewers[turn++ % viewers.length]!.nextUrl());
          return { ...request, path: url.pathname + url.search };
        },
      }],
    }, (error: unknown) => done(error));
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      const second = secondNow();
      second.requests++;
      second.bytes += resBytes;
      second.latencyMs.push(responseTime);
      if (statusCode < 200 || statusCode > 299) second.non2xx++;
      statusCounts.set(statusCode, (statusCounts.get(statusCode) ?? 0) + 1);
    });
    instance.on('reqError', (error) => {
      secondNow().errors++;
      const reason = error.code ?? error.message ?? 'unknown';
      errorCounts.set(reason, (errorCounts.get(reason) ?? 0) + 1);
    });
    viewersActive += viewers.length;
    instances.push(instance);
  };

  const stopAll = () => {
    for (const instance of instances) instance.stop();
  };
  budget.signal.addEventListener('abort', stopAll);
  try {
    for (let step = 0; step < steps && !budget.stopped; step++) {
      startStep(step);
      const nextAt = step + 1 < steps ? ((step + 1) * options.rampSec * 1000) / steps : options.durationSec * 1000;
      while (!budget.stopped && Date.now() - startedAt < nextAt) {
        secondNow().viewers = viewersActive;
        const last = seconds[seconds.length - 2];
        progress.update((Date.now() - startedAt) / 1000, `${viewersActive} viewers, ${last ? last.requests : 0} req/s`);
        await budget.pause(Math.min(1000, Math.max(10, nextAt - (Date.now() - startedAt))));
      }
    }
    await Promise.all(runs);
  } finally {
    budget.signal.removeEventListener('abort', stopAll);
    budget.signal.removeEventListener('abort', stopFollowing);
    stopAll();
    following.abort();
    await followed;
  }

  const windowSec = Math.max(1, (Date.now() - startedAt) / 1000);
  const requests = sum(seconds.map((s) => s.requests));
  const bytes = sum(seconds.map((s) => s.bytes));
  const non2xx = sum(seconds.map((s) => s.non2xx));
  const errors = sum(seconds.map((s) => s.errors));
  const latency = percentiles(seconds.flatMap((s) => s.latencyMs));
  // The last second is cut short by the end of the run: charted, it would look like a drop.
  const perSecond = seconds.slice(0, Math.max(1, Math.floor(windowSec))).map((s, i) => ({ second: i, ...s, latency: percentiles(s.latencyMs) }));

  const figures: Figure[] = [
    { label: 'viewers', value: viewersActive, meaning: `simulated ${live ? 'live' : 'VOD'} viewers at the end${options.rampSec > 0 ? `, ramped in over ${options.rampSec} s` : ''}` },
    { label: 'requests', value: requests, meaning: 'responses received (playlists and segments)' },
    { label: 'requests/s', value: round(requests / windowSec), unit: 'req/s', meaning: 'mean over the run' },
    { label: 'throughput', value: round(bytes / windowSec / 1e6, 2), unit: 'MB/s', meaning: 'response bytes (headers and bodies) per second, mean' },
    { label: 'latency p50', value: round(latency.p50), unit: 'ms', meaning: 'request sent → response complete, median' },
    { label: 'latency p99', value: round(latency.p99), unit: 'ms', meaning: '99th percentile' },
    { label: 'latency max', value: round(latency.max), unit: 'ms', meaning: 'slowest response' },
    { label: 'non-2xx', value: non2xx, meaning: `responses with another status: ${[...statusCounts].filter(([code]) => code < 200 || code > 299).map(([code, n]) => `${code}×${n}`).join(', ') || 'none'}` },
    { label: 'errors', value: errors, meaning: `requests with no response (timeouts after ${options.timeoutSec} s, resets): ${[...errorCounts].map(([reason, n]) => `${reason}×${n}`).join(', ') || 'none'}` },
  ];
  const metrics: Metric[] = [
    ...metric('viewers', viewersActive, 'count', 'simulated viewers at the end'),
    ...metric('requests', requests, 'count', 'responses received (playlists and segments)'),
    ...metric('requests_per_second', requests / windowSec, '1/s', 'responses per second, mean over the run'),
    ...metric('throughput', bytes / windowSec, 'bytes/s', 'response bytes (headers and bodies) per second, mean'),
    ...metric('latency_p50', latency.p50 / 1000, 's', 'request sent → response complete, median'),
    ...metric('latency_p99', latency.p99 / 1000, 's', 'request sent → response complete, 99th percentile'),
    ...metric('latency_max', latency.max / 1000, 's', 'the slowest response'),
    ...metric('non_2xx', non2xx, 'count', 'responses with a status outside 2xx'),
    ...metric('errors', errors, 'count', 'requests with no response (timeouts, resets)'),
  ];
  const points = (value: (s: (typeof perSecond)[number]) => number) => perSecond.map((s) => [s.second, value(s)] as [number, number]);
  const charts: Chart[] = [
    { title: 'Requests per second', unit: 'req/s', kind: 'line', series: [{ name: 'responses', points: points((s) => s.requests) }, { name: 'errors + non-2xx', points: points((s) => s.errors + s.non2xx) }] },
    { title: 'Throughput', unit: 'MB/s', kind: 'line', series: [{ name: 'MB/s', points: points((s) => round(s.bytes / 1e6, 3)) }] },
    { title: 'Latency', unit: 'ms', kind: 'line', series: [{ name: 'p50', points: points((s) => round(s.latency.p50)) }, { name: 'p99', points: points((s) => round(s.latency.p99)) }] },
    { title: 'Viewers', unit: 'viewers', kind: 'line', series: [{ name: 'active', points: points((s) => s.viewers) }] },
  ];
  return {
    metrics,
    figures,
    charts,
    details: {
      masterUrl,
      renditions: renditions.map((r) => ({ name: r.variant.name, viewers: assigned.filter((a) => a === r).length, targetDuration: r.playlist.targetDuration })),
      latencyMs: latency,
      statusCounts: Object.fromEntries(statusCounts),
      errorsByReason: Object.fromEntries(errorCounts),
      perSecond: perSecond.map(({ latencyMs: _samples, latency: l, ...rest }) => ({ ...rest, latencyP50Ms: round(l.p50), latencyP99Ms: round(l.p99) })),
    },
  };
}
