// What the event scenario reads of a viewer, whatever runs it: a virtual viewer's process
// (viewer-process.ts) or a real browser's page (browser-viewer.ts). Both report PeerEvents in
// order and take PeerCommands; the waiting on events is this one class.
import type { PeerCommand, PeerEvent } from './p2pml-viewer.ts';

/** A viewer's periodic report of its playback and transfers. */
export type LiveStatsEvent = Extract<PeerEvent, { event: 'live-stats' }>;
export const isLiveStats = (event: PeerEvent): event is LiveStatsEvent => event.event === 'live-stats';

interface Waiter {
  match: (event: PeerEvent) => boolean;
  resolve: (event: PeerEvent) => void;
}

export abstract class ViewerEvents {
  /** Every event reported so far, in order. */
  readonly events: PeerEvent[] = [];
  private readonly waiters = new Set<Waiter>();

  protected constructor(
    readonly name: string,
    /** Settles once the viewer is gone: no event comes after it. */
    protected readonly ended: Promise<unknown>,
  ) {}

  /** The last `live-stats` reported so far, if any. */
  latestStats(): LiveStatsEvent | undefined {
    return this.events.findLast(isLiveStats);
  }

  protected report(event: PeerEvent): void {
    this.events.push(event);
    for (const waiter of this.waiters) {
      if (waiter.match(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
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
      void this.ended.then(() => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name}: ended before a matching event; saw ${this.describe()}`));
      });
    });
  }

  abstract send(command: PeerCommand): void;
  /** Leaves as a viewer closing the page does. */
  abstract close(): Promise<void>;
  /** Leaves without a goodbye, as a closed laptop lid or a lost connection does. */
  abstract kill(): Promise<void>;
  abstract describe(): string;
}
