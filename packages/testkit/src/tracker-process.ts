/**
 * The tracker as its own process (`@swarmcast/tracker/main`), configured by environment variables
 * the way it runs in production, for tests that need several instances or kill one, and for
 * benches that measure one process per tracker. Every process is killed when the test process
 * exits, even if a test forgot to stop it.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acceptsConnections, freePort } from './ports.ts';
import type { HeapReading, ProbeRequest } from './heap-probe.ts';
import { exitOf } from '@swarmcast/process';
import { spawnTs } from './processes.ts';
import { sleep } from './wait.ts';

const START_TIMEOUT_MS = 30_000;
const HEAP_PROBE = fileURLToPath(new URL('./heap-probe.ts', import.meta.url));

export interface TrackerProcessOptions {
  /** Another tracker entry that takes PORT and HOST (the bench's reference server); default: ours. */
  entry?: string;
  /**
   * Preload the heap probe (with `--expose-gc` and an IPC channel), so that
   * {@link TrackerProcess.collectGarbage} can read what the process retains.
   */
  heapProbe?: boolean;
  /** Also forward the process's output to stderr, each line prefixed `[label] `. */
  label?: string;
}

export interface TrackerProcess {
  url: string;
  httpUrl: string;
  child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal) when the process ends. */
  exited: Promise<number | NodeJS.Signals>;
  /** SIGKILL: no shutdown, no leave; its peers must expire on their own. */
  kill(): Promise<void>;
  /** SIGTERM, as an orchestrator stops it; waits however long its shutdown takes. */
  stop(): Promise<void>;
  /**
   * Full garbage collection in the process, then its heap: the memory it retains. Only for a
   * process started with `heapProbe`.
   */
  collectGarbage(): Promise<HeapReading>;
}

/** Runs the tracker with `env` until it exits; for start-up failures. */
export function runTracker(env: Record<string, string>): { exited: Promise<number | NodeJS.Signals>; output(): string } {
  const { child, output } = spawnTracker(env);
  return { exited: exitOf(child), output };
}

/**
 * Starts a tracker on `env.HOST` (default 127.0.0.1) and `env.PORT` (default a free port) and
 * resolves once that port accepts connections (the one readiness rule: it holds for any entry and
 * any log level).
 */
export async function startTrackerProcess(env: Record<string, string> = {}, options: TrackerProcessOptions = {}): Promise<TrackerProcess> {
  const host = env['HOST'] ?? '127.0.0.1';
  const port = env['PORT'] ? Number(env['PORT']) : await freePort(host);
  const { child, output } = spawnTracker({ ...env, HOST: host, PORT: String(port) }, options);
  const exited = exitOf(child);
  let exitCode: number | NodeJS.Signals | undefined;
  void exited.then((code) => (exitCode = code));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await acceptsConnections(port, host))) {
    if (exitCode !== undefined) throw new Error(`tracker exited (${exitCode}) before listening:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tracker did not listen on ${host}:${port} within ${START_TIMEOUT_MS} ms:\n${output()}`);
    }
    await sleep(50);
  }
  return {
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    child,
    output,
    exited,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    collectGarbage: () => readHeap(child),
  };
}

function readHeap(child: ChildProcess): Promise<HeapReading> {
  if (!child.send) return Promise.reject(new Error('collectGarbage needs a tracker started with heapProbe'));
  return new Promise((resolve, reject) => {
    const onMessage = (reply: HeapReading) => {
      if (reply.type !== 'gc-done') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = () => {
      child.off('message', onMessage);
      reject(new Error('the tracker exited before reporting its heap'));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ type: 'gc' } satisfies ProbeRequest);
  });
}

function spawnTracker(env: Record<string, string>, options: TrackerProcessOptions = {}): { child: ChildProcess; output(): string } {
  return spawnTs(options.entry ?? fileURLToPath(import.meta.resolve('@swarmcast/tracker/main')), {
    // Strict: an unhandled rejection anywhere in the tracker kills it, and so fails the test.
    execArgv: ['--unhandled-rejections=strict', ...(options.heapProbe ? ['--expose-gc', '--import', HEAP_PROBE] : [])],
    env: { LOG_LEVEL: 'info', ...env },
    ipc: options.heapProbe,
    label: options.label,
  });
}
