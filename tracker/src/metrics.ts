/** Prometheus metrics of one tracker instance, on a registry of its own. */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const REJECT_REASONS = [
  'invalid_json',
  'invalid_message',
  'binary_frame',
  'too_many_offers',
  'frame_too_large',
  'rate_limited',
  'too_many_connections',
  'slow_reader',
  'offer_flood',
  'receiver_backlogged',
  'unauthorized',
  'token_checks_exceeded',
  'token_expired',
  'origin_not_allowed',
  'info_hash_not_allowed',
  'too_many_swarms',
  'peer_id_taken',
  'invalid_peer_secret',
  'unresponsive',
  'peer_id_mismatch',
  'swarm_full',
  'unknown_offer',
  'peer_gone',
  'store_unavailable',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export const TRACKER_VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface TrackerMetrics {
  registry: Registry;
  connections: Gauge;
  announces: Counter;
  scrapes: Counter;
  offersRelayed: Counter;
  answersRelayed: Counter;
  rejections: Counter<'reason'>;
  /** From an announce's arrival on its connection's queue to its response (and offers) sent. */
  announceSeconds: Histogram;
  /** From an offer forwarded to its receiver to that receiver's answer relayed back. */
  offerAnswerSeconds: Histogram;
  /** Every command on the process's Redis client (registered only with the Redis store). */
  redisCommandSeconds: Histogram;
}

export interface MetricsSources {
  counts: () => Promise<{ swarms: number; peers: number }>;
  /** With the Redis store: resolves when Redis answers, rejects when not (`swarmcast_redis_up`). */
  redisHealth?: (() => Promise<unknown>) | undefined;
}

/** Each counter's labels set to 0 up front, so `rate()` and `increase()` see the first event. */
export function preinitialise<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.labels({ [label]: value } as Record<L, string>).inc(0);
  return counter;
}

export function createMetrics(sources: MetricsSources): TrackerMetrics {
  const registry = new Registry();
  // Unprefixed for the stock Node.js dashboards; the swarmcast_tracker_ copies are the names
  // earlier releases exported (README: deprecated, to be dropped).
  collectDefaultMetrics({ register: registry });
  collectDefaultMetrics({ register: registry, prefix: 'swarmcast_tracker_' });
  new Gauge({ name: 'swarmcast_build_info', help: 'Always 1; the running version as a label', labelNames: ['version'], registers: [registry] }).set(
    { version: TRACKER_VERSION },
    1,
  );
  const gauge = (name: string, help: string, pick: (counts: { swarms: number; peers: number }) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await sources.counts()));
      },
    });
  gauge('swarmcast_tracker_swarms', 'Swarms with at least one peer', (c) => c.swarms);
  gauge('swarmcast_tracker_peers', 'Peers in all swarms', (c) => c.peers);
  const { redisHealth } = sources;
  if (redisHealth) {
    new Gauge({
      name: 'swarmcast_redis_up',
      help: 'Whether the Redis store answered a command when scraped (1) or not (0)',
      registers: [registry],
      async collect() {
        this.set(await redisHealth().then(
          () => 1,
          () => 0,
        ));
      },
    });
  }
  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, buckets, registers: [registry] });
  return {
    registry,
    connections: new Gauge({ name: 'swarmcast_tracker_connections', help: 'Open WebSocket connections', registers: [registry] }),
    announces: new Counter({ name: 'swarmcast_tracker_announces_total', help: 'Announces answered', registers: [registry] }),
    scrapes: new Counter({ name: 'swarmcast_tracker_scrapes_total', help: 'Scrapes answered', registers: [registry] }),
    offersRelayed: new Counter({ name: 'swarmcast_tracker_offers_relayed_total', help: 'Offers relayed to peers', registers: [registry] }),
    answersRelayed: new Counter({ name: 'swarmcast_tracker_answers_relayed_total', help: 'Answers relayed to offerers', registers: [registry] }),
    rejections: preinitialise(
      new Counter({ name: 'swarmcast_tracker_rejections_total', help: 'Messages or connections refused, by reason', labelNames: ['reason'], registers: [registry] }),
      'reason',
      REJECT_REASONS,
    ),
    announceSeconds: histogram(
      'swarmcast_tracker_announce_duration_seconds',
      'Time to handle an announce, from its turn on the connection to its response and offers sent',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    // Answers need ICE gathering on the receiving peer: seconds, up to the offers' 50 s lifetime.
    offerAnswerSeconds: histogram(
      'swarmcast_tracker_offer_answer_seconds',
      'Time from an offer forwarded to its receiver to its answer relayed back to the offerer',
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50],
    ),
    redisCommandSeconds: new Histogram({
      name: 'swarmcast_tracker_redis_command_duration_seconds',
      help: 'Redis command time as the tracker sees it (sent to reply), all commands',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: redisHealth ? [registry] : [],
    }),
  };
}
