import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { forkChild, stopChild } from '@swarmcast/process';
import { processEntry } from '../process-entries.ts';
import type { LoadCommand, LoadEvent, LoadPlan, LoadReport } from './load-peer.ts';

const LOAD_NICENESS = 5;

/** The a-th loopback source address (127.0.0.2 onwards): each has ~28k ephemeral ports per tracker port. */
function sourceAddressOf(a: number): string {
  return `127.0.${Math.floor(a / 250) % 256}.${2 + (a % 250)}`;
}

export interface FleetOptions extends Omit<LoadPlan, 'firstPeer' | 'peerCount' | 'localAddresses'> {
  processes: number;
  peers: number;
  /** Distinct source addresses (default one per process); process i uses those numbered i, i + processes, … */
  sourceAddresses?: number;
  /** Called about once a second while peers join. */
  onConnecting?: (connected: number, failed: number) => void;
  /** Peer numbers start here, so that two fleets on one tracker never share a peer id. */
  firstPeer?: number;
  connectTimeoutMs: number;
  /**
   * Each peer starts its loop (and its polls) as soon as it has joined, as a viewer does, rather
   * than on `run()`: a join of many peers can outlast the two announce intervals a tracker keeps a
   * silent peer. Then `run()` must not be called.
   */
  runWhileJoining?: boolean;
}

export interface FleetConnected {
  connected: number;
  failed: number;
  firstError: string | undefined;
  elapsedMs: number;
}

/** The load processes of one phase, driven in lockstep. */
export class LoadFleet {
  private constructor(private readonly children: ChildProcess[]) {}

  get pids(): number[] {
    return this.children.map((child) => child.pid ?? -1);
  }

  /** Start the processes and wait until every peer has its first announce answered (or failed). */
  static async connect(options: FleetOptions): Promise<{ fleet: LoadFleet; connected: FleetConnected }> {
    const { processes, peers, connectTimeoutMs, firstPeer = 0, sourceAddresses = processes, onConnecting, runWhileJoining = false, ...shared } = options;
    const children: ChildProcess[] = [];
    const loadPeer = processEntry('load-peer');
    for (let i = 0; i < processes; i++) {
      const child = forkChild(loadPeer.file, { execArgv: loadPeer.execArgv, label: `load#${i}` });
      // When the two compete for a core, the tracker under test goes first: it is what is measured.
      if (child.pid !== undefined) setPriority(child.pid, LOAD_NICENESS);
      children.push(child);
    }
    const fleet = new LoadFleet(children);
    try {
      await fleet.request(() => undefined, 'ready', 30_000);
      if (runWhileJoining) fleet.run();
      const joining = new Map<ChildProcess, { connected: number; failed: number }>();
      const onProgress = (child: ChildProcess) => (event: LoadEvent) => {
        if (event.evt !== 'connecting') return;
        joining.set(child, event);
        onConnecting?.([...joining.values()].reduce((sum, p) => sum + p.connected, 0), [...joining.values()].reduce((sum, p) => sum + p.failed, 0));
      };
      const listeners = children.map((child) => [child, onProgress(child)] as const);
      for (const [child, listener] of listeners) child.on('message', listener);
      const replies = await fleet.request<Extract<LoadEvent, { evt: 'connected' }>>(
        (i) => {
          const start = Math.floor((peers * i) / processes);
          const end = Math.floor((peers * (i + 1)) / processes);
          const localAddresses = Array.from({ length: Math.ceil((sourceAddresses - i) / processes) }, (_, k) => sourceAddressOf(i + k * processes));
          const plan: LoadPlan = { ...shared, firstPeer: firstPeer + start, peerCount: end - start, localAddresses };
          return { cmd: 'connect', plan };
        },
        'connected',
        connectTimeoutMs,
      );
      for (const [child, listener] of listeners) child.off('message', listener);
      return {
        fleet,
        connected: {
          connected: replies.reduce((sum, reply) => sum + reply.connected, 0),
          failed: replies.reduce((sum, reply) => sum + reply.failed, 0),
          firstError: replies.find((reply) => reply.firstError !== undefined)?.firstError,
          elapsedMs: Math.max(...replies.map((reply) => reply.elapsedMs)),
        },
      };
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  run(): void {
    for (const child of this.children) child.send({ cmd: 'run' } satisfies LoadCommand);
  }

  /** Start the measured window: every process zeroes its counters. */
  async mark(): Promise<void> {
    await this.request(() => ({ cmd: 'mark' }), 'marked', 10_000);
  }

  async report(): Promise<LoadReport[]> {
    const replies = await this.request<Extract<LoadEvent, { evt: 'report' }>>(() => ({ cmd: 'report' }), 'report', 30_000);
    return replies.map((reply) => reply.report);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map(stopChild));
  }

  /** Send each process its command (if any) and wait for every one's `evt`. */
  private request<E extends LoadEvent>(
    commandFor: (process: number) => LoadCommand | undefined,
    evt: E['evt'],
    timeoutMs: number,
  ): Promise<E[]> {
    return Promise.all(this.children.map((child, i) => new Promise<E>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (event: LoadEvent) => {
        if (event.evt !== evt) return;
        cleanup();
        resolve(event as E);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`load process ${i} exited (${code}) while waiting for '${evt}'`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`load process ${i}: no '${evt}' within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      const command = commandFor(i);
      if (command) child.send(command);
    })));
  }
}
