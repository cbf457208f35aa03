// The parent's side of p2pml-viewer.ts: start a virtual viewer in its own process, send it
// commands, await the events it reports.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PeerCommand, PeerEvent, PeerOptions } from './p2pml-viewer.ts';
import { viewerBundle } from './viewer-bundle.ts';
import { ViewerEvents } from './viewer-events.ts';

export class PeerProcess extends ViewerEvents {
  private stderr = '';

  constructor(
    name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    // 'close', not 'exit': by then every line the peer wrote has been read.
    super(name, new Promise((resolve) => child.once('close', resolve)));
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
      try {
        this.report(JSON.parse(line) as PeerEvent);
      } catch {
        this.stderr += `${line}\n`;
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

  /** Asks the peer to leave, and kills it if it does not within a second. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await this.ended;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.ended;
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
