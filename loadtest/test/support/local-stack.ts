// The local stack for loadtest tests: tracker and origin in this process on free loopback ports,
// and the CLI run as a user runs it (its own process, through the package's bin shim).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { buildOrigin } from '@swarmcast/origin';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { buildTracker, type TrackerOptions } from '@swarmcast/tracker';
import type { LoadtestResult } from '../../src/result.ts';

export const CLI = fileURLToPath(new URL('../../bin/swarmcast-loadtest.mjs', import.meta.url));

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance): Promise<string> {
  return (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
}

export async function startOrigin(): Promise<LocalServer> {
  const app = buildOrigin({ logger: false });
  return { url: await listen(app), close: () => app.close() };
}

export async function startTracker(options: TrackerOptions = {}): Promise<LocalServer> {
  const app = await buildTracker({ logger: false, ...options });
  return { url: (await listen(app)).replace(/^http/, 'ws'), close: () => app.close() };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; `onSpawn` may signal it meanwhile; `env` replaces the environment's entries it names. */
export function runCli(args: string[], onSpawn?: (pid: number) => void, env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (child.pid !== undefined) onSpawn?.(child.pid);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * `event` with `args` against a tracker and an origin started for it (closed after the test): its
 * result, and the origin's own counters read after the run (they hold nothing else).
 */
export async function runEventOnStack(t: { after(fn: () => Promise<void>): void }, args: string[]): Promise<{ result: LoadtestResult; originStats: OriginStats; stderr: string }> {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  t.after(async () => {
    await tracker.close();
    await origin.close();
  });
  const out = join(mkdtempSync(join(tmpdir(), 'loadtest-event-')), 'event.json');
  const run = await runCli(['event', '--origin', origin.url, '--tracker', tracker.url, '--out', out, ...args]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const originStats = (await (await fetch(`${origin.url}/stats`)).json()) as OriginStats;
  return { result: readResult(out), originStats, stderr: run.stderr };
}

const SCHEMA = fileURLToPath(new URL('../../schema/result-v1.schema.json', import.meta.url));
let validate: ReturnType<Ajv['compile']> | undefined;

/** A JSON result the CLI wrote, checked against the package's published schema (strict Ajv). */
export function readResult(path: string): LoadtestResult {
  validate ??= new Ajv({ strict: true, allErrors: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  const result: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!validate(result)) throw new Error(`${path} does not match the result schema: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
  return result as LoadtestResult;
}

/** A figure's numeric value from a result, by label. */
export function figure(result: LoadtestResult, label: string): number {
  const found = result.figures.find((f) => f.label === label);
  if (found === undefined) throw new Error(`no figure '${label}' in ${result.figures.map((f) => f.label).join(', ')}`);
  return Number(found.value);
}
