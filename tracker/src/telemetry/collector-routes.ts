/**
 * `POST /telemetry`: the collector the player SDK's beats go to. CORS-open (viewers' pages live
 * on other origins; beats carry no credentials), body size limit (413), per-address rate limit
 * (429, checked before the body is read), schema validation (400), the stream allow-list (403),
 * and every refusal counted in `swarmcast_telemetry_rejections_total`. A refused POST changes no
 * figure, except that beats are applied one by one: a beat that would overflow a sum (422), or a
 * new session from an address that holds `TELEMETRY_MAX_SESSIONS_PER_ADDRESS` of its stream's
 * (429), changes nothing; the others of its POST are applied.
 *
 * Bodies are read as text whatever their Content-Type: `navigator.sendBeacon` with a string sends
 * `text/plain`, which (unlike `application/json`) needs no CORS preflight.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createBatchParser } from '@swarmcast/protocol/beat-schema';
import type { BeatRejectReason, TelemetryMetrics } from './metrics.ts';
import { limitKey } from '../client-address.ts';
import { AddressRateLimiter } from './rate-limit.ts';
import type { AcceptedBytes, TelemetryStore } from './store.ts';

export interface CollectorOptions {
  store: TelemetryStore;
  metrics: TelemetryMetrics;
  maxBodyBytes: number;
  postsPerMinute: number;
  /** For the refusal's message: the store enforces it. */
  maxSessionsPerAddress: number;
  /** Stream names (or `prefix*`) beats are accepted for; undefined: any. */
  allowedStreams: string[] | undefined;
}

const BYTE_KINDS: ReadonlyArray<keyof AcceptedBytes> = ['http', 'p2p', 'up'];

function streamFilter(allowed: string[] | undefined): (stream: string) => boolean {
  if (!allowed) return () => true;
  const exact = new Set(allowed.filter((entry) => !entry.endsWith('*')));
  const prefixes = allowed.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1));
  return (stream) => exact.has(stream) || prefixes.some((prefix) => stream.startsWith(prefix));
}

export async function collectorRoutes(app: FastifyInstance, options: CollectorOptions): Promise<void> {
  const { store, metrics } = options;
  const parse = createBatchParser();
  const limiter = new AddressRateLimiter(options.postsPerMinute);
  const isAllowed = streamFilter(options.allowedStreams);
  const refuse = (reply: FastifyReply, status: number, reason: BeatRejectReason, message: string) => {
    metrics.rejections.inc({ reason });
    return reply.code(status).send({ error: message });
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    if (request.method === 'POST' && !limiter.take(request.ip, Date.now())) {
      return refuse(reply.header('retry-after', '10'), 429, 'rate_limited', `at most ${options.postsPerMinute} telemetry posts per minute per address`);
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(reply, 413, 'too_large', `a telemetry body is at most ${options.maxBodyBytes} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return refuse(reply, 415, 'unsupported_media_type', 'send the beats as text/plain or application/json');
    if ((error.statusCode ?? 500) < 500) return refuse(reply, error.statusCode ?? 400, 'invalid_beat', error.message);
    reply.log.warn({ err: error }, 'telemetry collector failed');
    return refuse(reply, 503, 'store_unavailable', 'telemetry temporarily unavailable, the next beat carries these counters');
  });

  app.options('/telemetry', async (_request, reply) =>
    reply
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type')
      .header('access-control-max-age', '86400')
      .code(204)
      .send(),
  );

  app.post('/telemetry', async (request, reply) => {
    const parsed = parse(typeof request.body === 'string' ? request.body : '');
    if (!parsed.ok) return refuse(reply, 400, parsed.code, parsed.reason);
    const refused = parsed.batch.beats.find((beat) => !isAllowed(beat.stream));
    if (refused) return refuse(reply, 403, 'stream_not_allowed', `stream ${JSON.stringify(refused.stream)} is not in TELEMETRY_STREAMS`);
    const now = Date.now();
    const address = limitKey(request.ip);
    let overflowing = 0;
    let crowded = 0;
    for (const beat of parsed.batch.beats) {
      const { outcome, bytes } = await store.record(beat, now, address);
      metrics.beats.inc({ outcome });
      for (const kind of BYTE_KINDS) metrics.bytes[kind].inc(bytes[kind]);
      if (outcome === 'overflow') overflowing++;
      if (outcome === 'too_many_sessions') crowded++;
    }
    if (overflowing > 0) {
      return refuse(reply, 422, 'counter_overflow', `${overflowing} beat(s) refused: their counters would overflow the stream's sums (no counter can grow this much)`);
    }
    if (crowded > 0) {
      return refuse(
        reply,
        429,
        'too_many_sessions',
        `${crowded} beat(s) refused: an address holds at most ${options.maxSessionsPerAddress} sessions of a stream (TELEMETRY_MAX_SESSIONS_PER_ADDRESS)`,
      );
    }
    return reply.code(204).send();
  });
}
