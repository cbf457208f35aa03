// TypeScript entries of this repository started as a test starts them: remembered (and so ended
// with the run) by @swarmcast/process, which holds the registry the load tester shares at run time.
import { spawn, type ChildProcess } from 'node:child_process';
import { forwardLabelled, track, TSX_EXEC_ARGV } from '@swarmcast/process';

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
