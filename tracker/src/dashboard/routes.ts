/**
 * The audience dashboard: `/dashboard` (one self-contained page: inline SVG charts, no library,
 * polling the JSON below every few seconds), `/dashboard/api/streams` (every stream with a beat in
 * the last hour, figures without the series) and `/dashboard/api/streams/:stream` (one stream with
 * its 10 s series and its viewers by rendition per 10 s; the stream name URL-encoded).
 */
import type { FastifyInstance } from 'fastify';
import type { StreamSummary } from '../telemetry/aggregate.ts';
import { dashboardPage } from './page.ts';
import type { StreamDetail } from './stream-detail.ts';

export interface DashboardOptions {
  summaries: () => Promise<StreamSummary[]>;
  detail: (stream: string) => Promise<StreamDetail | null>;
}

export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.get('/dashboard', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(dashboardPage));
  app.get('/dashboard/api/streams', async () => {
    const streams = (await options.summaries()).map(({ series: _, ...figures }) => figures);
    return { now: Date.now(), streams };
  });
  // A wildcard, not `:stream`: Fastify refuses a parameter over 100 characters (414), and a stream
  // name may have 256 (MAX_STREAM_LENGTH), URL-encoded to three times that.
  app.get<{ Params: { '*': string } }>('/dashboard/api/streams/*', async (request, reply) => {
    const stream = request.params['*'];
    const detail = await options.detail(stream);
    if (!detail) return reply.code(404).send({ error: `no telemetry for stream ${stream} in the last hour` });
    return detail;
  });
}
