/**
 * ORIGIN_AUTH=required: playlists and segments only for a bearer of a valid access token, the
 * tracker's (@swarmcast/protocol/access-token). The origin checks signature and expiry, not which
 * swarms the token lists: swarm ids name renditions by playlist URL and attributes, which the
 * origin cannot map back; the tracker does that scoping.
 */
import type { FastifyInstance } from 'fastify';
import { TokenVerifier } from '@swarmcast/protocol/access-token';

function tokenOf(url: string, authorization: string | undefined): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  const query = url.indexOf('?');
  return query < 0 ? undefined : (new URLSearchParams(url.slice(query + 1)).get('token') ?? undefined);
}

/** Adds the check to `media`'s scope: the /vod and /live routes, not /health, /stats, /metrics or the demo page. */
export function requireAccessToken(media: FastifyInstance, keys: string[]): void {
  const verifier = new TokenVerifier(keys);
  media.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    const verified = verifier.verify(tokenOf(request.url, request.headers.authorization));
    if (!verified.ok) {
      reply.code(401).header('cache-control', 'no-store');
      return reply.send({ error: verified.reason });
    }
  });
}
