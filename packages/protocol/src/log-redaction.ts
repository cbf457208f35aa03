/**
 * Access tokens travel in URLs (`?token=` on the tracker's WebSocket and HTTP routes, and on the
 * origin's playlists and segments), and so do peer_id secrets (`?peer_secret=`, peer-proof.ts); a
 * token or secret in a log line is a credential anyone with the logs can replay. Both servers log
 * requests through this serializer, which keeps the rest of the URL.
 */

/** What the serializer reads of a request: a FastifyRequest. */
interface LoggedRequest {
  method: string;
  url: string;
  host: string;
  ip: string;
  socket?: { remotePort?: number };
}

/** What the 404 handler uses of a reply: a FastifyReply. */
interface NotFoundReply {
  code(statusCode: number): NotFoundReply;
  header(name: string, value: string): NotFoundReply;
  send(payload: unknown): unknown;
}

const TOKEN_PARAMETER = /([?&](?:token|access_token|peer_secret)=)[^&#]*/gi;

export function redactUrlTokens(url: string): string {
  return url.replace(TOKEN_PARAMETER, '$1[redacted]');
}

/** Fastify's `req` log serializer, with the URL's tokens redacted (the Authorization header is never logged). */
export const logSerializers = {
  req(request: LoggedRequest) {
    return { method: request.method, url: redactUrlTokens(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
  },
};

/** Fastify's default 404 logs and answers the raw URL ("Route GET:/x?token=… not found"); this one redacts it. */
export function notFoundWithoutTokens(request: Pick<LoggedRequest, 'method' | 'url'>, reply: NotFoundReply): void {
  void reply.code(404).header('cache-control', 'no-store').send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method}:${redactUrlTokens(request.url)} not found` });
}
