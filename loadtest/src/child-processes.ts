// Child processes of a load run (load generators, trackers a bench starts): forked under tsx and
// remembered until they exit, so that however the run ends — Ctrl-C included — none outlives it.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const STOP_GRACE_MS = 2_000;

/** Every child started here, so that {@link killAllChildren} can end them whatever way the run ends. */
const liveChildren = new Set<ChildProcess>();

/** Remember a child until it exits, so that {@link killAllChildren} can end it. */
export function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

export function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
// Whatever ends this process, a remembered child does not outlive it.
process.once('exit', killAllChildren);

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Fork a TypeScript entry under tsx and remember it until it exits; its output goes to stderr, labelled. */
export function forkTs(entry: string, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; label: string }): ChildProcess {
  const child = track(fork(entry, [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: options.env ?? process.env,
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  }));
  const prefix = `[${options.label}] `;
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) process.stderr.write(prefix + line + '\n');
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}
