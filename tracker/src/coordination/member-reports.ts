/**
 * Members' reports (@swarmcast/protocol/mesh-capacity) go to the store when they change, or once a minute so that a
 * member that moved to another cell, or whose report the store dropped, is heard again: not with
 * every poll, which would be a store write per viewer every few seconds.
 */
import type { SwarmStore } from '../store/store.ts';

/** How often an unchanged report is written again. */
export const REPORT_REFRESH_MS = 60_000;
/** Reports this instance remembers writing; the oldest is forgotten first (and so written again sooner). */
const MAX_REMEMBERED = 100_000;

export class ReportWriter {
  /** `${cell}\n${peer_id}` → the report last written and when. Map order is the order of writing. */
  private readonly written = new Map<string, { report: string; at: number }>();

  constructor(private readonly store: Pick<SwarmStore, 'report'>) {}

  /** Writes `report` for the member unless this instance wrote the same one less than REPORT_REFRESH_MS ago. */
  async keep(cell: string, peerId: string, report: string, now: number): Promise<void> {
    const key = `${cell}\n${peerId}`;
    const last = this.written.get(key);
    if (last && last.report === report && now - last.at < REPORT_REFRESH_MS) return;
    this.written.delete(key);
    if (this.written.size >= MAX_REMEMBERED) this.written.delete(this.written.keys().next().value!);
    this.written.set(key, { report, at: now });
    await this.store.report(cell, peerId, report).catch((error: unknown) => {
      this.written.delete(key);
      throw error;
    });
  }
}
