import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { logSerializers, notFoundWithoutTokens } from '@swarmcast/protocol/log-redaction';
import { streamCache } from './cache-control.ts';
import { defaultOriginOptions, LIVE_WINDOW_MAX, LIVE_WINDOW_MIN, type OriginOptions } from './config.ts';
import { demoRoutes } from './demo-routes.ts';
import { EgressMeter } from './egress.ts';
import { HttpMetrics } from './http-metrics.ts';
import { liveRoutes } from './live-routes.ts';
import { loadCatalog } from './media-catalog.ts';
import { requireAccessToken } from './access-control.ts';
import { statusRoutes } from './status-routes.ts';
import { vodRoutes } from './vod-routes.ts';

/**
 * The HLS origin. The media folder is indexed while the instance boots, so `await app.ready()`
 * (or `listen`, or the first `inject`) is when a bad media folder fails.
 */
export function buildOrigin(options: Partial<OriginOptions> = {}): FastifyInstance {
  const config: OriginOptions = { ...defaultOriginOptions, ...options };
  const { liveWindowSegments } = config;
  if (!Number.isInteger(liveWindowSegments) || liveWindowSegments < LIVE_WINDOW_MIN || liveWindowSegments > LIVE_WINDOW_MAX) {
    throw new RangeError(`liveWindowSegments must be an integer from ${LIVE_WINDOW_MIN} to ${LIVE_WINDOW_MAX}, got ${liveWindowSegments}`);
  }

  const app = Fastify({
    // A token in a playlist or segment URL must not reach the request log (@swarmcast/protocol/log-redaction).
    logger: config.logger === false ? false : { ...(config.logger === true ? {} : config.logger), serializers: logSerializers },
    https: config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : null,
    // Fastify's own request logging writes two info lines per request: a viewer's every segment.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const egress = new EgressMeter();
  const http = new HttpMetrics();
  const { requestLogLevel } = config;
  app.addHook('onResponse', async (request, reply) => {
    http.observe(request, reply);
    if (requestLogLevel !== 'off') request.log[requestLogLevel]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  app.setNotFoundHandler(notFoundWithoutTokens);

  app.register(cors, {
    origin: config.corsOrigins,
    // What a player needs; the admin routes are not for web pages.
    methods: ['GET', 'HEAD'],
    // Players and peers read these cross-origin to check ranges and cache validators.
    exposedHeaders: ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag', 'Last-Modified'],
  });

  app.register(async (media) => {
    const streams = await loadCatalog(config.mediaDir);
    for (const stream of streams.values()) {
      if (stream.liveUnavailableReason) media.log.warn({ stream: stream.name, reason: stream.liveUnavailableReason }, 'stream served as VOD only');
    }
    media.log.info({ mediaDir: config.mediaDir, streams: [...streams.keys()] }, 'media indexed');
    // Its own scope, so the token check covers /vod and /live and not the status routes.
    await media.register(async (playback) => {
      if (config.tokenKeys) requireAccessToken(playback, config.tokenKeys);
      const cache = streamCache(config.tokenKeys !== undefined);
      await playback.register(vodRoutes, { streams, egress, cache });
      await playback.register(liveRoutes, { streams, egress, cache, now: config.now, epochMs: config.liveEpochMs, windowSegments: liveWindowSegments });
    });
    await media.register(statusRoutes, { streams, egress, metrics: Registry.merge([http.registry, egress.registry]), adminToken: config.adminToken });
  });

  app.register(demoRoutes, { demoPage: config.demoPage, sdkBundle: config.sdkBundle });
  return app;
}
