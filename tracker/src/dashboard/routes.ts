/**
 * The audience dashboard: `/dashboard` (one self-contained page: inline SVG charts, no library,
 * polling the JSON below every few seconds), `/dashboard/api/streams` (every stream with a beat in
 * the last hour, figures without the series) and `/dashboard/api/streams/:stream` (one stream with
 * its 10 s series; the stream name URL-encoded).
 */
import type { FastifyInstance } from 'fastify';
import type { StreamSummary } from '../telemetry/aggregate.ts';
import { dashboardPage } from './page.ts';

export interface DashboardOptions {
  summaries: () => Promise<StreamSummary[]>;
  summary: (stream: string) => Promise<StreamSummary | null>;
}

export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.get('/dashboard', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(dashboardPage));
  app.get('/dashboard/api/streams', async () => {
    const streams = (await options.summaries()).map(({ series: _, ...figures }) => figures);
    return { now: Date.now(), streams };
  });
  app.get<{ Params: { stream: string } }>('/dashboard/api/streams/:stream', async (request, reply) => {
    const summary = await options.summary(request.params.stream);
    if (!summary) return reply.code(404).send({ error: `no telemetry for stream ${request.params.stream} in the last hour` });
    return summary;
  });
}
