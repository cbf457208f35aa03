import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { EgressMeter } from './egress.ts';
import type { MediaStream } from './media-catalog.ts';

export interface StatusRouteOptions {
  streams: Map<string, MediaStream>;
  egress: EgressMeter;
  /** Everything `/metrics` serves: the egress counters and the HTTP and process metrics. */
  metrics: Registry;
  /** Secret of the reset routes; without one they are not registered. */
  adminToken: string | undefined;
}

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * `/health`, `/health/live`, `/health/ready`, `/stats` (egress JSON) and `/metrics` (Prometheus), open to read. Resetting the
 * counters is an admin action: any web page could otherwise send a simple cross-origin POST (CORS
 * stops it reading the answer, not sending it) and erase the figures offload is measured from.
 */
export async function statusRoutes(app: FastifyInstance, { streams, egress, metrics, adminToken }: StatusRouteOptions): Promise<void> {
  app.get('/health', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return {
      status: 'ok',
      vod: [...streams.keys()],
      live: [...streams.values()].filter((stream) => stream.liveMaster !== null).map((stream) => stream.name),
    };
  });

  // These routes exist once the media folder is indexed: live means the process answers, ready
  // that there is a catalogue to serve.
  app.get('/health/live', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/health/ready', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (streams.size > 0) return { status: 'ok', streams: streams.size };
    return reply.code(503).send({ status: 'unavailable', error: 'no stream in MEDIA_DIR (a folder with a master.m3u8)' });
  });

  app.get('/stats', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return egress.snapshot();
  });

  if (adminToken !== undefined) {
    const reset = async (request: FastifyRequest, reply: FastifyReply) => {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined || !sameSecret(given, adminToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'resetting the counters needs Authorization: Bearer <ORIGIN_ADMIN_TOKEN>' });
      }
      egress.reset();
      return egress.snapshot();
    };
    app.post('/stats/reset', reset);
    app.delete('/stats', reset);
  }

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return metrics.metrics();
  });
}
