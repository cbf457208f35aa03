// Child processes of a load run, a test or a bench (load generators, trackers, redis-servers,
// nginx): remembered until they exit, so that however the run ends — Ctrl-C included — none
// outlives it. Run-time code: the load tester ships it, so it uses nothing but Node.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const STOP_GRACE_MS = 2_000;

/**
 * `node` flags that run a TypeScript entry of this repository: workspace packages resolve to their
 * sources only under the `swarmcast-source` condition, which must come before tsx's loader.
 */
export const TSX_EXEC_ARGV: readonly string[] = ['--conditions=swarmcast-source', '--import', 'tsx'];

/** Every child started here, so that {@link killAllChildren} can end them whatever way the run ends. */
const liveChildren = new Set<ChildProcess>();

/** Remember a child until it exits, so that {@link killAllChildren} can end it. */
export function track<C extends ChildProcess>(child: C): C {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

export function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
// Whatever ends this process, a remembered child does not outlive it.
process.once('exit', killAllChildren);

/** SIGTERM, then SIGKILL if the child has not exited within a grace period. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the exit code (or the signal) when `child` ends. */
export function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
}

/**
 * Fork a Node entry with these `node` flags ({@link TSX_EXEC_ARGV} for a TypeScript one) and
 * remember it until it exits; its output goes to stderr, labelled.
 */
export function forkChild(entry: string, options: { execArgv?: readonly string[]; env?: NodeJS.ProcessEnv; label: string }): ChildProcess {
  const child = track(fork(entry, [], {
    execArgv: [...(options.execArgv ?? [])],
    env: options.env ?? process.env,
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  }));
  forwardLabelled(child, options.label);
  return child;
}

/** Writes each line `child` prints to this process's stderr, prefixed with `[label] `. */
export function forwardLabelled(child: ChildProcess, label: string): void {
  const prefix = `[${label}] `;
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) process.stderr.write(prefix + line + '\n');
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
}
