import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { forkTs, stopChild } from '../../loadtest/src/child-processes.ts';
import type { ProbeReply, ProbeRequest } from './tracker-probe.ts';

export type TrackerKind = 'ours' | 'reference';

export interface TrackerGroupOptions {
  kind: TrackerKind;
  /** How many instances to start (several only make sense with a shared store, e.g. REDIS_URL). */
  count: number;
  /** Extra environment for every instance, on top of PORT, HOST and LOG_LEVEL. */
  env?: Record<string, string>;
  host?: string;
}

/** Running tracker instances, each its own process so CPU time and RSS are per tracker. */
export interface TrackerGroup {
  kind: TrackerKind;
  urls: string[];
  pids: number[];
  /** Collect garbage in every instance; resolves with each one's heap afterwards. */
  collectGarbage(): Promise<ProbeReply[]>;
  stop(): Promise<void>;
}

const ENTRY: Record<TrackerKind, string> = {
  ours: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  reference: fileURLToPath(new URL('./reference-server.ts', import.meta.url)),
};
const PROBE = fileURLToPath(new URL('./tracker-probe.ts', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;

export async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitUntilAccepting(host: string, port: number, child: ChildProcess, label: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${label} exited with code ${child.exitCode} before listening`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host);
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${label} did not listen on ${host}:${port} within ${STARTUP_TIMEOUT_MS} ms`);
}

export async function startTrackers(options: TrackerGroupOptions): Promise<TrackerGroup> {
  const host = options.host ?? '127.0.0.1';
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  try {
    for (let instance = 0; instance < options.count; instance++) {
      const port = await freePort(host);
      const label = `${options.kind}#${instance}`;
      const child = forkTs(ENTRY[options.kind], {
        label,
        execArgv: ['--expose-gc', '--import', PROBE],
        env: { ...process.env, ...options.env, PORT: String(port), HOST: host, LOG_LEVEL: 'warn' },
      });
      children.push(child);
      await waitUntilAccepting(host, port, child, label);
      urls.push(`ws://${host}:${port}`);
    }
  } catch (error) {
    await Promise.all(children.map(stopChild));
    throw error;
  }
  return {
    kind: options.kind,
    urls,
    pids: children.map((child) => child.pid ?? -1),
    collectGarbage() {
      return Promise.all(children.map((child) => new Promise<ProbeReply>((resolve) => {
        const onMessage = (reply: ProbeReply) => {
          if (reply.type !== 'gc-done') return;
          child.off('message', onMessage);
          resolve(reply);
        };
        child.on('message', onMessage);
        child.send({ type: 'gc' } satisfies ProbeRequest);
      })));
    },
    async stop() {
      await Promise.all(children.map(stopChild));
    },
  };
}
