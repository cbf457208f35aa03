// autocannon ships no types, and origin/bench declares only the promise form it uses; this is the
// callback form the origin scenario needs: an instance to stop and per-response events.
import type { EventEmitter } from 'node:events';
import autocannonUntyped from 'autocannon';

export interface AutocannonOptions {
  url: string;
  connections: number;
  overallRate: number;
  /** Seconds. */
  duration: number;
  /** Seconds before a request counts as an error. */
  timeout: number;
  requests: Array<{ setupRequest: (request: { path: string }) => { path: string } }>;
}

export interface AutocannonInstance extends EventEmitter {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  on(event: 'reqError', listener: (error: { code?: string; message?: string }) => void): this;
  stop(): void;
}

export const runAutocannon = autocannonUntyped as unknown as (
  options: AutocannonOptions,
  callback: (error: unknown) => void,
) => AutocannonInstance;
