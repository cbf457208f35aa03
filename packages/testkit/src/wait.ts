// Polling for a condition another process or a browser makes true in its own time.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface PollOptions {
  timeoutMs: number;
  /** Pause between two checks; callers polling a rate-limited tracker keep it at 200 ms or more. */
  intervalMs?: number;
}

const DEFAULT_INTERVAL_MS = 200;

/** Polls `check` until it holds; throws `<what>: not within <timeoutMs> ms` when it never does. */
export async function until(check: () => Promise<boolean> | boolean, what: string, options: PollOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? DEFAULT_INTERVAL_MS);
  }
}

/** Reads until `done` holds for the value read or `timeoutMs` passes; returns the last value read. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(options.intervalMs ?? DEFAULT_INTERVAL_MS);
    value = await read();
  }
  return value;
}
