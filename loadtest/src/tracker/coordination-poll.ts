// One `GET /coordination` as a player polls it, sent from the peer's own source address: the
// tracker rate-limits per client address, and a load from one address is not a crowd.
import { Agent, get } from 'node:http';

export interface CoordinationOutcome {
  /** HTTP status, or the socket error's code. */
  status: number | string;
  /** False unless a 200 ranked the peer (`rank: null`: the tracker did not find it in its stream). */
  member: boolean;
  latencyMs: number;
}

/** How often the player SDK polls each swarm it is in (player-sdk's coordination-client POLL_MS, not exported by the SDK's entries). */
export const PLAYER_POLL_MS = 5000;
const TIMEOUT_MS = 10_000;

/** Keep-alive connections, pooled per source address (Node's agent keys its pools by it). */
const agent = new Agent({ keepAlive: true });

export function pollCoordination(url: string, localAddress: string): Promise<CoordinationOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const done = (status: number | string, member = false) => resolve({ status, member, latencyMs: performance.now() - startedAt });
    const request = get(url, { agent, localAddress, timeout: TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'response error'));
      response.on('end', () => {
        if (response.statusCode !== 200) return done(response.statusCode ?? 'no status');
        try {
          done(200, (JSON.parse(body) as { rank: unknown }).rank !== null);
        } catch {
          done('unreadable answer');
        }
      });
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
