/** Starts a tracker on a free loopback port for a test and stops it afterwards. */
import { after } from 'node:test';
import { buildTracker, type TrackerOptions } from '../../src/app.ts';

export interface RunningTracker {
  url: string;
  httpUrl: string;
  close(): Promise<void>;
}

export async function startTracker(options: TrackerOptions = {}): Promise<RunningTracker> {
  const app = await buildTracker({ logger: false, ...options });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: address.replace(/^http/, 'ws'), httpUrl: address, close: () => app.close() };
}

/** Trackers and clients a test file opens, all closed once its tests are done. */
export function closedAfterTests(): { start(options: TrackerOptions): Promise<RunningTracker>; keep<C extends { close(): void }>(client: C): C } {
  const running: RunningTracker[] = [];
  const clients: Array<{ close(): void }> = [];
  after(async () => {
    for (const client of clients) client.close();
    await Promise.all(running.map((tracker) => tracker.close()));
  });
  return {
    async start(options) {
      const tracker = await startTracker(options);
      running.push(tracker);
      return tracker;
    },
    keep(client) {
      clients.push(client);
      return client;
    },
  };
}
