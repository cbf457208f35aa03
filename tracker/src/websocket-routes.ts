/**
 * The tracker's WebSocket endpoints: `/` (what p2p-media-loader uses) and `/announce`.
 *
 * Upgrades are taken from the HTTP server before Fastify routes them: a Fastify request and reply
 * would otherwise stay referenced for the whole life of every socket (about 3 KB per idle peer),
 * and the per-address limit, the origin allow-list and the access token are checked before any
 * WebSocket state exists.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { isPeerSecret, PEER_SECRET_PARAMETER, provenSuffix } from '@swarmcast/protocol/peer-proof';
import { clientAddress, fromTrustedProxy, type ProxyTrust } from './client-address.ts';
import type { TrackerConfig } from './config.ts';
import { localityKey } from './locality.ts';
import type { SignalingHub } from './signaling-hub.ts';
import type { SwarmAccess } from './swarm-access.ts';

const WEBSOCKET_PATHS = new Set(['/', '/announce']);

function refuse(socket: Socket, status: string, reason: string): void {
  const body = JSON.stringify({ error: reason });
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function queryParameter(url: string, name: string): string | undefined {
  const query = url.indexOf('?');
  return query < 0 ? undefined : (new URLSearchParams(url.slice(query + 1)).get(name) ?? undefined);
}

export async function websocketRoutes(app: FastifyInstance, options: { config: TrackerConfig; hub: SignalingHub; access: SwarmAccess; trust: ProxyTrust }): Promise<void> {
  const { config, hub, access, trust } = options;
  const server = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (!WEBSOCKET_PATHS.has(path)) return refuse(socket, '404 Not Found', 'WebSocket endpoints are / and /announce');
    if (hub.closing) return refuse(socket, '503 Service Unavailable', 'tracker shutting down');
    const ip = clientAddress(request, trust);
    if (hub.connectionsFrom(ip) >= config.maxConnectionsPerIp) {
      hub.reject('too_many_connections');
      return refuse(socket, '429 Too Many Requests', `at most ${config.maxConnectionsPerIp} connections per address`);
    }
    const originRefusal = access.originRefusal(request.headers.origin);
    if (originRefusal !== undefined) {
      hub.reject('origin_not_allowed');
      return refuse(socket, '403 Forbidden', originRefusal);
    }
    const admission = access.admit(queryParameter(request.url ?? '/', 'token'), ip);
    if (!admission.ok) {
      hub.reject(admission.status === 429 ? 'token_checks_exceeded' : 'unauthorized');
      return refuse(socket, admission.status === 429 ? '429 Too Many Requests' : '401 Unauthorized', admission.reason);
    }
    const secret = queryParameter(request.url ?? '/', PEER_SECRET_PARAMETER);
    if (secret !== undefined && !isPeerSecret(secret)) {
      hub.reject('invalid_peer_secret');
      return refuse(socket, '400 Bad Request', `${PEER_SECRET_PARAMETER} must be 22 to 64 base64url characters`);
    }
    const locality = localityKey(fromTrustedProxy(request, trust) ? request.headers[config.localityHeader] : undefined, ip);
    const proven = secret === undefined ? undefined : provenSuffix(secret);
    server.handleUpgrade(request, socket, head, (websocket) => hub.open(websocket, socket, ip, locality, admission.grant, proven));
  });

  const info = async () => ({ service: 'swarmcast-tracker', protocol: 'WebTorrent tracker over WebSocket: connect with ws:// or wss://' });
  for (const url of WEBSOCKET_PATHS) app.get(url, info);
}
