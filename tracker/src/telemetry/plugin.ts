/**
 * Audience telemetry on the tracker: the collector (`POST /telemetry`), its store (memory, or
 * Redis when the tracker uses Redis, so every instance aggregates into one view), the dashboard
 * and the `swarmcast_audience_*` metrics on the tracker's registry.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { TrackerConfig } from '../config.ts';
import { dashboardRoutes } from '../dashboard/routes.ts';
import { streamDetail } from '../dashboard/stream-detail.ts';
import { summarize, type StreamSummary } from './aggregate.ts';
import { collectorRoutes } from './collector-routes.ts';
import { createTelemetryMetrics } from './metrics.ts';
import type { TelemetryStore, TelemetryStoreLimits } from './store.ts';

/** Streams the dashboard list and `/metrics` report, highest ranked first (see `TelemetryStore.streams`): bounds label cardinality. */
export const MAX_LISTED_STREAMS = 100;
/** `/metrics` asks for the summaries once per gauge: one computation serves a whole scrape. */
const SUMMARY_REUSE_MS = 1000;

export interface AudienceOptions {
  config: TrackerConfig;
  registry: Registry;
  /** The telemetry store where the tracker keeps its state (storage.ts decides: memory or Redis). */
  openStore: (limits: TelemetryStoreLimits) => TelemetryStore;
}

export async function audiencePlugin(app: FastifyInstance, options: AudienceOptions): Promise<void> {
  const { config } = options;
  // The gauges compute their summaries only when scraped, so the metrics can exist before the store.
  const metrics = createTelemetryMetrics(options.registry, () => summaries());
  const store = options.openStore({
    topBitrate: config.telemetryTopBitrate,
    maxStreams: config.telemetryMaxStreams,
    maxSessionsPerStream: config.telemetryMaxSessionsPerStream,
    maxSessionsPerAddress: config.telemetryMaxSessionsPerAddress,
    onEviction: (kind) => metrics.evictions.inc({ kind }),
  });
  app.addHook('onClose', () => store.close());

  const summary = async (stream: string, now = Date.now()) => {
    const state = await store.read(stream, now);
    return state && summarize(state, now, config.egressPricePerGb);
  };
  const computeAll = async (): Promise<StreamSummary[]> => {
    const now = Date.now();
    const all = await Promise.all((await store.streams(now, MAX_LISTED_STREAMS)).map((stream) => summary(stream, now)));
    return all.filter((s): s is StreamSummary => s !== null);
  };
  let reused: { at: number; summaries: Promise<StreamSummary[]> } | undefined;
  const summaries = () => {
    if (!reused || Date.now() - reused.at > SUMMARY_REUSE_MS) reused = { at: Date.now(), summaries: computeAll() };
    return reused.summaries;
  };

  await app.register(collectorRoutes, {
    store,
    metrics,
    maxBodyBytes: config.telemetryMaxBodyBytes,
    postsPerMinute: config.telemetryPostsPerMinute,
    maxSessionsPerAddress: config.telemetryMaxSessionsPerAddress,
    allowedStreams: config.telemetryStreams,
  });
  const detail = async (stream: string) => {
    const now = Date.now();
    const state = await store.read(stream, now);
    return state && streamDetail(state, now, config.egressPricePerGb);
  };
  await app.register(dashboardRoutes, { summaries, detail });
}
