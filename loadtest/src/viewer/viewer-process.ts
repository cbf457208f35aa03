// The parent's side of p2pml-viewer.ts: start a virtual viewer in its own process, send it
// commands, await the events it reports.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PeerCommand, PeerEvent, PeerOptions } from './p2pml-viewer.ts';
import { viewerBundle } from './viewer-bundle.ts';

interface Waiter {
  match: (event: PeerEvent) => boolean;
  resolve: (event: PeerEvent) => void;
}

export class PeerProcess {
  /** Every event reported so far, in order. */
  readonly events: PeerEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly exited: Promise<unknown>;
  private stderr = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    // 'close', not 'exit': by then every line the peer wrote has been read.
    this.exited = new Promise((resolve) => child.once('close', resolve));
    const record = (error: Error) => {
      this.stderr += `${error.message}\n`;
    };
    child.on('error', record);
    // A command sent to a peer that has died (EPIPE) must not crash the test: waitFor reports it.
    child.stdin.on('error', record);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: PeerEvent;
      try {
        event = JSON.parse(line) as PeerEvent;
      } catch {
        this.stderr += `${line}\n`;
        return;
      }
      this.events.push(event);
      for (const waiter of this.waiters) {
        if (waiter.match(event)) {
          this.waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Writes one raw line to the process's stdin (the network gate reads the first one). */
  writeLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  send(command: PeerCommand): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** The first event (already reported or still to come) that matches, or a rejection naming what was seen. */
  waitFor<E extends PeerEvent>(match: (event: PeerEvent) => event is E, timeoutMs: number): Promise<E>;
  waitFor(match: (event: PeerEvent) => boolean, timeoutMs: number): Promise<PeerEvent>;
  waitFor(match: (event: PeerEvent) => boolean, timeoutMs: number): Promise<PeerEvent> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms; saw ${this.describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      this.waiters.add(waiter);
      void this.exited.then(() => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name}: exited before a matching event; saw ${this.describe()}`));
      });
    });
  }

  /** Asks the peer to leave, and kills it if it does not within a second. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Leaves without a goodbye, as a closed laptop lid or a lost connection does. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `events ${JSON.stringify(this.events)}${this.stderr ? `, stderr ${this.stderr}` : ''}`;
  }
}

export interface StartPeerOptions {
  timeoutMs?: number;
  /**
   * Start the viewer in a network namespace of its own, and call this with its pid to give it a
   * network before it runs: until then it waits at a shell `read`, so it never sees a namespace
   * without one.
   */
  attachNetwork?: (pid: number) => Promise<void>;
}

/** Starts a viewer and waits until it takes commands; one that never gets there is killed. */
export async function startPeer(name: string, options: PeerOptions, start: StartPeerOptions = {}): Promise<PeerProcess> {
  const viewer = [process.execPath, await viewerBundle(), JSON.stringify(options)];
  const child = start.attachNetwork
    ? spawn('unshare', ['--net', '--', 'sh', '-c', 'read -r _ && exec "$0" "$@"', ...viewer], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(viewer[0]!, viewer.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = new PeerProcess(name, child);
  try {
    if (start.attachNetwork) {
      if (child.pid === undefined) throw new Error(`${name}: could not start unshare: ${peer.describe()}`);
      await start.attachNetwork(child.pid);
      peer.writeLine('network-up');
    }
    await peer.waitFor((event) => event.event === 'ready', start.timeoutMs ?? 10_000);
  } catch (error) {
    await peer.kill();
    throw error;
  }
  return peer;
}
