/** Prometheus metrics of one tracker instance, on a registry of its own. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type RejectReason =
  | 'invalid_json'
  | 'invalid_message'
  | 'binary_frame'
  | 'too_many_offers'
  | 'frame_too_large'
  | 'rate_limited'
  | 'too_many_connections'
  | 'slow_reader'
  | 'offer_flood'
  | 'receiver_backlogged'
  | 'unauthorized'
  | 'token_checks_exceeded'
  | 'token_expired'
  | 'origin_not_allowed'
  | 'info_hash_not_allowed'
  | 'too_many_swarms'
  | 'peer_id_taken'
  | 'invalid_peer_secret'
  | 'unresponsive'
  | 'peer_id_mismatch'
  | 'swarm_full'
  | 'unknown_offer'
  | 'peer_gone'
  | 'store_unavailable';

export interface TrackerMetrics {
  registry: Registry;
  connections: Gauge;
  announces: Counter;
  scrapes: Counter;
  offersRelayed: Counter;
  answersRelayed: Counter;
  rejections: Counter<'reason'>;
}

export function createMetrics(collectCounts: () => Promise<{ swarms: number; peers: number }>): TrackerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'swarmcast_tracker_' });
  const gauge = (name: string, help: string, pick: (counts: { swarms: number; peers: number }) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await collectCounts()));
      },
    });
  gauge('swarmcast_tracker_swarms', 'Swarms with at least one peer', (c) => c.swarms);
  gauge('swarmcast_tracker_peers', 'Peers in all swarms', (c) => c.peers);
  return {
    registry,
    connections: new Gauge({ name: 'swarmcast_tracker_connections', help: 'Open WebSocket connections', registers: [registry] }),
    announces: new Counter({ name: 'swarmcast_tracker_announces_total', help: 'Announces answered', registers: [registry] }),
    scrapes: new Counter({ name: 'swarmcast_tracker_scrapes_total', help: 'Scrapes answered', registers: [registry] }),
    offersRelayed: new Counter({ name: 'swarmcast_tracker_offers_relayed_total', help: 'Offers relayed to peers', registers: [registry] }),
    answersRelayed: new Counter({ name: 'swarmcast_tracker_answers_relayed_total', help: 'Answers relayed to offerers', registers: [registry] }),
    rejections: new Counter({
      name: 'swarmcast_tracker_rejections_total',
      help: 'Messages or connections refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
