/** The tracker's WebSocket endpoints (`/` as p2p-media-loader uses it, and `/announce`). */
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackerConfig } from './config.ts';
import { localityKey } from './locality.ts';
import type { SignalingHub } from './signaling-hub.ts';

export async function websocketRoutes(app: FastifyInstance, options: { config: TrackerConfig; hub: SignalingHub }): Promise<void> {
  const { config, hub } = options;
  const connectionsPerIp = new Map<string, number>();

  await app.register(websocket, {
    options: { maxPayload: config.maxFrameBytes, perMessageDeflate: false, clientTracking: false },
  });

  // Refused before the upgrade, so a flood from one address costs no WebSocket state.
  const limitConnections = async (request: FastifyRequest, reply: FastifyReply) => {
    if ((connectionsPerIp.get(request.ip) ?? 0) >= config.maxConnectionsPerIp) {
      hub.reject('too_many_connections');
      return reply.code(429).send({ error: `at most ${config.maxConnectionsPerIp} connections per address` });
    }
  };

  const info = async () => ({ service: 'swarmcast-tracker', protocol: 'WebTorrent tracker over WebSocket: connect with ws:// or wss://' });

  for (const url of ['/', '/announce']) {
    app.route({
      method: 'GET',
      url,
      preValidation: limitConnections,
      handler: info,
      wsHandler: (socket, request) => {
        const ip = request.ip;
        connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1);
        socket.once('close', () => {
          const left = (connectionsPerIp.get(ip) ?? 1) - 1;
          if (left === 0) connectionsPerIp.delete(ip);
          else connectionsPerIp.set(ip, left);
        });
        hub.open(socket, ip, localityKey(request.headers[config.localityHeader], ip));
      },
    });
  }
}
