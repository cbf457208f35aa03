/**
 * The collector's counters and the audience figures as Prometheus metrics, on the tracker's
 * registry. Audience gauges and quantiles are computed when scraped, from the same summaries the
 * dashboard shows (with Redis: every instance reports the shared figures, so do not sum them).
 * The audience byte counters count what the store accepted from the beats this instance received
 * (with Redis: each instance its own, so the cluster's total is their sum).
 */
import { Counter, Gauge, type Metric, type MetricValue, type Registry } from 'prom-client';
import { preinitialise } from '../metrics.ts';
import { ACTIVE_MS, type StreamSummary } from './aggregate.ts';
import type { AcceptedBytes, EvictionKind, RecordOutcome } from './store.ts';

export const BEAT_REJECT_REASONS = [
  'invalid_json',
  'invalid_beat',
  'too_large',
  'unsupported_media_type',
  'rate_limited',
  'stream_not_allowed',
  'counter_overflow',
  'too_many_sessions',
  'store_unavailable',
] as const;

export type BeatRejectReason = (typeof BEAT_REJECT_REASONS)[number];

const OUTCOMES: readonly RecordOutcome[] = ['accepted', 'stale', 'overflow', 'too_many_sessions'];
const EVICTION_KINDS: readonly EvictionKind[] = ['stream', 'session'];

/**
 * Quantiles the store computed over a window, exported as a Prometheus summary (quantile lines
 * only: the window's sum and count are not counters, so they are left out). prom-client's own
 * Summary computes quantiles from this process's observations, not from figures shared by all.
 */
function windowQuantiles(registry: Registry, name: string, help: string, read: () => Promise<MetricValue<string>[]>): void {
  const metric = {
    name,
    help,
    type: 'summary',
    aggregator: 'omit',
    get: async () => ({ name, help, type: 'summary', aggregator: 'omit', values: await read() }),
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

export interface TelemetryMetrics {
  /** Beats applied (`accepted`), ignored as already applied (`stale`), refused as overflowing a sum (`overflow`) or as one session too many for their address (`too_many_sessions`). */
  beats: Counter<'outcome'>;
  /** POSTs refused, by reason. */
  rejections: Counter<'reason'>;
  /** Streams and sessions the store evicted to stay within its bounds. */
  evictions: Counter<'kind'>;
  /**
   * Segment bytes the store accepted, by kind. Unlabelled: the store caps the streams it holds,
   * but a counter's series outlive the streams it evicts, so anyone beating for new stream names
   * would add series without end (and dropping a series would make its counter go down).
   */
  bytes: Record<keyof AcceptedBytes, Counter>;
}

export function createTelemetryMetrics(registry: Registry, summaries: () => Promise<StreamSummary[]>): TelemetryMetrics {
  const audience = (name: string, help: string, value: (summary: StreamSummary) => number | null) =>
    new Gauge({
      name: `swarmcast_audience_${name}`,
      help,
      labelNames: ['stream'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const summary of await summaries()) {
          const figure = value(summary);
          if (figure !== null) this.set({ stream: summary.stream }, figure);
        }
      },
    });
  const quantiles = (name: string, help: string, pick: (summary: StreamSummary) => StreamSummary['startupMs']) =>
    windowQuantiles(registry, `swarmcast_audience_${name}`, help, async () =>
      (await summaries()).flatMap((summary) => {
        const { p50, p95 } = pick(summary);
        return [
          ...(p50 === null ? [] : [{ labels: { stream: summary.stream, quantile: 0.5 }, value: p50 / 1000 }]),
          ...(p95 === null ? [] : [{ labels: { stream: summary.stream, quantile: 0.95 }, value: p95 / 1000 }]),
        ];
      }),
    );
  audience('viewers', `Viewers beating now (sessions with a telemetry beat in the last ${ACTIVE_MS / 1000} s)`, (s) => s.viewers);
  audience('offload_ratio', 'Share of segment bytes from peers over the last hour', (s) => s.offloadRatio);
  audience('egress_saved_bytes', 'Origin egress replaced by peers over the last hour (segment bytes from peers); windowed: rate() swarmcast_audience_p2p_bytes_total instead', (s) => s.p2pBytes);
  audience('http_bytes', 'Segment bytes from the origin over the last hour; windowed: rate() swarmcast_audience_http_bytes_total instead', (s) => s.httpBytes);
  audience('egress_saved_money', 'egress_saved_bytes priced at EGRESS_PRICE_PER_GB', (s) => s.egressSavedMoney);
  audience('rebuffer_ratio', 'Stalled time / watch time over the last hour (1 % good, 3 % bad)', (s) => s.rebufferRatio);
  audience('peers_per_viewer', 'Mean connected peers per viewer over the last minute', (s) => s.peersPerViewer);
  quantiles('startup_seconds', 'Startup time of the sessions started in the last hour', (s) => s.startupMs);
  quantiles('live_latency_seconds', 'Live latency of the viewers beating now', (s) => s.latencyMs);
  return {
    beats: preinitialise(
      new Counter({ name: 'swarmcast_telemetry_beats_total', help: 'Telemetry beats received, by outcome', labelNames: ['outcome'], registers: [registry] }),
      'outcome',
      OUTCOMES,
    ),
    rejections: preinitialise(
      new Counter({ name: 'swarmcast_telemetry_rejections_total', help: 'Telemetry POSTs refused, by reason', labelNames: ['reason'], registers: [registry] }),
      'reason',
      BEAT_REJECT_REASONS,
    ),
    evictions: preinitialise(
      new Counter({
        name: 'swarmcast_telemetry_evictions_total',
        help: 'Telemetry streams and sessions evicted to make room (TELEMETRY_MAX_STREAMS, TELEMETRY_MAX_SESSIONS_PER_STREAM), by kind',
        labelNames: ['kind'],
        registers: [registry],
      }),
      'kind',
      EVICTION_KINDS,
    ),
    bytes: {
      http: bytesCounter(registry, 'http_bytes_total', 'Segment bytes viewers fetched from the origin'),
      p2p: bytesCounter(registry, 'p2p_bytes_total', 'Segment bytes viewers fetched from peers: origin egress they saved'),
      up: bytesCounter(registry, 'uploaded_bytes_total', 'Segment bytes viewers uploaded to peers'),
    },
  };
}

const bytesCounter = (registry: Registry, name: string, help: string) =>
  new Counter({
    name: `swarmcast_audience_${name}`,
    help: `${help}, as the telemetry store accepted them (bounded, each beat's new bytes once) from the beats this instance received: sum over instances`,
    registers: [registry],
  });
