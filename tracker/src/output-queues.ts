/**
 * Bytes handed to sockets and not yet written out, per connection and for the whole instance. A
 * client that stops reading keeps everything sent to it in the tracker's memory: one such client
 * is capped on its own, and many of them together (say 50 per address, from many addresses) by
 * the instance's cap, over which the ones holding the most are cut off first.
 */
export class OutputQueues<Connection> {
  /** Only connections with bytes waiting: an idle peer costs no entry. */
  private readonly waiting = new Map<Connection, number>();
  private total = 0;

  constructor(
    private readonly perConnection: number,
    private readonly perInstance: number,
  ) {}

  get queuedBytes(): number {
    return this.total;
  }

  /** Bytes waiting for `to` alone. */
  queuedFor(to: Connection): number {
    return this.waiting.get(to) ?? 0;
  }

  /**
   * The connections to cut off before `bytes` more are queued for `to`: `to` alone when its own
   * queue would pass the per-connection cap; else, if the instance's would, the largest queues
   * until the rest fit (maybe `to` among them).
   */
  overflow(to: Connection, bytes: number): Connection[] {
    if ((this.waiting.get(to) ?? 0) + bytes > this.perConnection) return [to];
    let excess = this.total + bytes - this.perInstance;
    if (excess <= 0) return [];
    const cut: Connection[] = [];
    for (const [connection, queued] of [...this.waiting].sort((a, b) => b[1] - a[1])) {
      if (excess <= 0) break;
      cut.push(connection);
      excess -= queued;
    }
    return cut;
  }

  queued(to: Connection, bytes: number): void {
    this.waiting.set(to, (this.waiting.get(to) ?? 0) + bytes);
    this.total += bytes;
  }

  /** The socket wrote (or failed to write) `bytes` queued for `to`. */
  written(to: Connection, bytes: number): void {
    const left = this.waiting.get(to);
    // Released already: its socket was cut off or closed.
    if (left === undefined) return;
    if (left > bytes) this.waiting.set(to, left - bytes);
    else this.waiting.delete(to);
    this.total -= Math.min(left, bytes);
  }

  /** Forgets `to`'s queue at once (its socket is gone, whenever its writes report back). */
  release(to: Connection): void {
    this.total -= this.waiting.get(to) ?? 0;
    this.waiting.delete(to);
  }
}
