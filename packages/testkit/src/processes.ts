// Child processes of a test, a bench or a load run (load generators, trackers, redis-servers,
// nginx): remembered until they exit, so that however the run ends — Ctrl-C included — none
// outlives it.
import { fork, spawn, type ChildProcess } from 'node:child_process';
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

/** Fork a TypeScript entry under tsx and remember it until it exits; its output goes to stderr, labelled. */
export function forkTs(entry: string, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; label: string }): ChildProcess {
  const child = track(fork(entry, [], {
    execArgv: [...TSX_EXEC_ARGV, ...(options.execArgv ?? [])],
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

/**
 * Spawns a TypeScript entry under tsx and remembers it until it exits; `output()` is everything it
 * has printed so far, stdout and stderr.
 */
export function spawnTs(
  entry: string,
  options: {
    /** More `node` flags, after tsx's. */
    execArgv?: string[];
    /** Set over this process's environment. */
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** An IPC channel to the child (`child.send`). */
    ipc?: boolean;
    /** Also forward the child's output to stderr, each line prefixed `[label] `. */
    label?: string;
  } = {},
): { child: ChildProcess; output(): string } {
  const child = track(spawn(process.execPath, [...TSX_EXEC_ARGV, ...(options.execArgv ?? []), entry], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    serialization: 'advanced',
  }));
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  if (options.label) forwardLabelled(child, options.label);
  return { child, output: () => output };
}

/**
 * Runs a service's TypeScript entry until it exits, sending SIGTERM once its output says
 * `listening`: what an operator starting it would see (exit code and everything it printed).
 */
export function runEntry(entry: string, options: { env?: NodeJS.ProcessEnv; cwd?: string; listening: string }): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnTs(entry, { env: options.env, cwd: options.cwd });
  // Listeners run in the order added, so spawnTs has already collected the chunk.
  const stopOnceListening = () => {
    if (output().includes(options.listening)) child.kill('SIGTERM');
  };
  child.stdout!.on('data', stopOnceListening);
  child.stderr!.on('data', stopOnceListening);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output: output() })));
}
