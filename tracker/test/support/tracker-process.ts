/**
 * The tracker as its own process (`tracker/src/main.ts`), configured by environment variables the
 * way it runs in production, for tests that need several instances or kill one. Every process is
 * killed when the test process exits, even if a test forgot to stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '../../../loadtest/src/child-processes.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const START_TIMEOUT_MS = 15_000;


export interface TrackerProcess {
  url: string;
  httpUrl: string;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal) when the process ends. */
  exited: Promise<number | NodeJS.Signals>;
  /** SIGKILL: no shutdown, no leave; its peers must expire on their own. */
  kill(): Promise<void>;
  /** SIGTERM, as an orchestrator stops it. */
  stop(): Promise<void>;
}

/** Runs main.ts with `env` until it exits; for start-up failures. */
export function runTracker(env: Record<string, string>): { exited: Promise<number | NodeJS.Signals>; output(): string } {
  const child = launch(env);
  return { exited: exitOf(child), output: () => child.output };
}

/** Starts main.ts on a free loopback port and resolves once it listens. */
export async function startTrackerProcess(env: Record<string, string>): Promise<TrackerProcess> {
  const child = launch({ HOST: '127.0.0.1', PORT: '0', ...env });
  const exited = exitOf(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`tracker did not listen within ${START_TIMEOUT_MS} ms:\n${child.output}`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const look = () => {
      const match = /tracker listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(child.output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(Number(match[1]));
    };
    child.stdout!.on('data', look);
    exited.then((code) => fail(new Error(`tracker exited (${code}) before listening:\n${child.output}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    output: () => child.output,
    exited,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

function launch(env: Record<string, string>): ChildProcess & { output: string } {
  // Strict: an unhandled rejection anywhere in the tracker kills it, and so fails the test.
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--import', 'tsx', MAIN], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string };
  child.output = '';
  const collect = (data: Buffer) => {
    child.output += data.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  track(child);
  return child;
}

function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal!));
  });
}
