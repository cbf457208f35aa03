/**
 * What operators read on any HTTP service: responses by kind and status code, response time, the
 * process's own metrics and the build. Kinds, not URLs, label them: a label per URL would grow
 * with every segment ever served.
 */
import { createRequire } from 'node:module';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { INTEGRITY_MANIFEST } from '@swarmcast/protocol/integrity';

export const ORIGIN_VERSION: string = createRequire(import.meta.url)('../package.json').version;

export type RouteKind = 'playlist' | 'segment' | 'manifest' | 'status' | 'demo' | 'unmatched';

const STATUS_ROUTES = new Set(['/health', '/health/live', '/health/ready', '/stats', '/stats/reset', '/metrics']);

/** The kind of a request, from the route it matched (and for media, the file's name). */
export function routeKind(request: FastifyRequest): RouteKind {
  const route = request.routeOptions.url;
  if (route === undefined) return 'unmatched';
  if (route.startsWith('/vod/') || route.startsWith('/live/')) {
    const path = request.url.split('?', 1)[0]!;
    if (path.endsWith('.m3u8')) return 'playlist';
    return path.endsWith(INTEGRITY_MANIFEST) ? 'manifest' : 'segment';
  }
  return STATUS_ROUTES.has(route) ? 'status' : 'demo';
}

export class HttpMetrics {
  /** Never reset by `/stats/reset`: only the egress counters are. */
  readonly registry = new Registry();
  private readonly responses: Counter<'kind' | 'status_code'>;
  private readonly seconds: Histogram<'kind'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'swarmcast_build_info', help: 'Always 1; the running version as a label', labelNames: ['version'], registers }).set({ version: ORIGIN_VERSION }, 1);
    this.responses = new Counter({
      name: 'swarmcast_origin_http_requests_total',
      help: 'HTTP requests answered, by route kind and status code',
      labelNames: ['kind', 'status_code'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'swarmcast_origin_http_request_duration_seconds',
      help: 'Time from a request received to its response written, by route kind',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
  }

  /** For Fastify's onResponse hook. */
  observe(request: FastifyRequest, reply: FastifyReply): void {
    const kind = routeKind(request);
    this.responses.inc({ kind, status_code: String(reply.statusCode) });
    this.seconds.observe({ kind }, reply.elapsedTime / 1000);
  }
}
