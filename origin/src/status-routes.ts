import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EgressMeter } from './egress.ts';
import type { MediaStream } from './media-catalog.ts';

export interface StatusRouteOptions {
  streams: Map<string, MediaStream>;
  egress: EgressMeter;
  /** Secret of the reset routes; without one they are not registered. */
  adminToken: string | undefined;
}

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * `/health`, `/stats` (egress JSON) and `/metrics` (Prometheus), open to read. Resetting the
 * counters is an admin action: any web page could otherwise send a simple cross-origin POST (CORS
 * stops it reading the answer, not sending it) and erase the figures offload is measured from.
 */
export async function statusRoutes(app: FastifyInstance, { streams, egress, adminToken }: StatusRouteOptions): Promise<void> {
  app.get('/health', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return {
      status: 'ok',
      vod: [...streams.keys()],
      live: [...streams.values()].filter((stream) => stream.liveMaster !== null).map((stream) => stream.name),
    };
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
    reply.header('content-type', egress.registry.contentType).header('cache-control', 'no-store');
    return egress.registry.metrics();
  });
}
