/** Starts a tracker on a free loopback port for a test and stops it afterwards. */
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

/** A 20-character id from a short label, padded so tests read clearly. */
export const id20 = (label: string): string => label.padEnd(20, '.').slice(0, 20);
