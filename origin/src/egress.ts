import type { FileKind, OriginStats, Tally } from '@swarmcast/protocol/stats';
import { Counter, Registry } from 'prom-client';

/** Who a response is counted against. `stream` is `vod/<name>` or `live/<name>`. */
export interface EgressKey {
  stream: string;
  rendition: string;
  kind: FileKind;
}

/** Counts one response; obtained from `EgressMeter.channel`. */
export interface EgressChannel {
  request(): void;
  sent(bytes: number): void;
  aborted(): void;
}

/**
 * Egress counters for one origin instance, kept twice: plain numbers for `/stats` and a
 * prom-client registry of its own for `/metrics` (never the global default registry, so two
 * instances in one process do not clash).
 */
export class EgressMeter {
  readonly registry = new Registry();
  private readonly channels = new Map<string, { key: EgressKey; tally: Tally; channel: EgressChannel }>();
  private since = new Date();
  private readonly bytesTotal: Counter<keyof EgressKey>;
  private readonly requestsTotal: Counter<keyof EgressKey>;
  private readonly abortedTotal: Counter<keyof EgressKey>;

  constructor() {
    const labelNames = ['stream', 'rendition', 'kind'] as const;
    const registers = [this.registry];
    this.bytesTotal = new Counter({ name: 'swarmcast_origin_bytes_total', help: 'Response body bytes written to clients', labelNames, registers });
    this.requestsTotal = new Counter({ name: 'swarmcast_origin_requests_total', help: 'Responses for stream files', labelNames, registers });
    this.abortedTotal = new Counter({
      name: 'swarmcast_origin_aborted_requests_total',
      help: 'Responses cut off before their whole body was written',
      labelNames,
      registers,
    });
  }

  channel(key: EgressKey): EgressChannel {
    const id = `${key.stream}\n${key.rendition}\n${key.kind}`;
    let entry = this.channels.get(id);
    if (!entry) {
      const labels = { ...key };
      const tally: Tally = { requests: 0, bytes: 0, aborted: 0 };
      const bytes = this.bytesTotal.labels(labels);
      const requests = this.requestsTotal.labels(labels);
      const aborted = this.abortedTotal.labels(labels);
      entry = {
        key,
        tally,
        channel: {
          request() {
            tally.requests++;
            requests.inc();
          },
          sent(count) {
            tally.bytes += count;
            bytes.inc(count);
          },
          aborted() {
            tally.aborted++;
            aborted.inc();
          },
        },
      };
      this.channels.set(id, entry);
    }
    return entry.channel;
  }

  snapshot(): OriginStats {
    const stats: OriginStats = { since: this.since.toISOString(), total: emptyTally(), streams: {} };
    for (const { key, tally } of this.channels.values()) {
      const stream = (stats.streams[key.stream] ??= { ...emptyTally(), kinds: {}, renditions: {} });
      const rendition = (stream.renditions[key.rendition] ??= { ...emptyTally(), kinds: {} });
      for (const target of [stats.total, stream, rendition, (stream.kinds[key.kind] ??= emptyTally()), (rendition.kinds[key.kind] ??= emptyTally())]) {
        target.requests += tally.requests;
        target.bytes += tally.bytes;
        target.aborted += tally.aborted;
      }
    }
    return stats;
  }

  reset(): void {
    for (const { tally } of this.channels.values()) Object.assign(tally, emptyTally());
    this.registry.resetMetrics();
    this.since = new Date();
  }
}

function emptyTally(): Tally {
  return { requests: 0, bytes: 0, aborted: 0 };
}
