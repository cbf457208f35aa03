import type { FastifyInstance } from 'fastify';
import type { EgressMeter } from './egress.ts';
import type { MediaStream } from './media-catalog.ts';

export interface StatusRouteOptions {
  streams: Map<string, MediaStream>;
  egress: EgressMeter;
}

/** `/health`, `/stats` (egress JSON, resettable between test runs) and `/metrics` (Prometheus). */
export async function statusRoutes(app: FastifyInstance, { streams, egress }: StatusRouteOptions): Promise<void> {
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

  const reset = async () => {
    egress.reset();
    return egress.snapshot();
  };
  app.post('/stats/reset', reset);
  app.delete('/stats', reset);

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', egress.registry.contentType).header('cache-control', 'no-store');
    return egress.registry.metrics();
  });
}
