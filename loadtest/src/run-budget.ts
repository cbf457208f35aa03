// Every run is bounded in time and stops cleanly on Ctrl-C: one AbortSignal tells each scenario
// loop when to stop, and why, so the report can say the run was cut short.
import { setTimeout as sleep } from 'node:timers/promises';

export class RunBudget {
  private readonly controller = new AbortController();
  readonly startedAt = Date.now();
  private reason: string | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly onSigint = () => this.stop('interrupted (SIGINT)');

  /** `maxSec` is the hard cap, whatever the scenario planned. */
  constructor(readonly maxSec: number) {
    this.timer = setTimeout(() => this.stop(`stopped at --max-duration ${maxSec} s`), maxSec * 1000);
    process.once('SIGINT', this.onSigint);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Why the run ended early, or null if it ran its course. */
  get stopReason(): string | null {
    return this.reason;
  }

  elapsedSec(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.reason = reason;
    this.controller.abort(new Error(reason));
  }

  /** Waits `ms`, or less if the run is stopped meanwhile; never throws. */
  async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }

  dispose(): void {
    clearTimeout(this.timer);
    process.off('SIGINT', this.onSigint);
  }
}
