/**
 * Polls the tracker's `GET /coordination` for the swarms this viewer is in and keeps the latest
 * answer per swarm (see `seeding-role.ts` for what it means). No DOM: the load tester's virtual
 * viewers run the same client in Node.
 */
import { coordinationAnswerSchema, MISSED_PARAMETER, REPORT_LIMITS, REPORT_PARAMETERS } from '@swarmcast/protocol/coordination';
import { PEER_SECRET_PARAMETER } from '@swarmcast/protocol/peer-proof';
import { conforms } from '@swarmcast/protocol/schema-check';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import type { SwarmCoordination } from './seeding-role.ts';

/** What this viewer tells the tracker about itself with each poll of a swarm (REPORT_PARAMETERS). */
export interface ViewerReport {
  uplinkKbit: number | null;
  uploads: boolean;
  /** Whether a peer is connected to it now. */
  connected: boolean;
  segmentBytes: number | null;
  budgetMs: number | null;
}

export interface CoordinationClientOptions {
  /** The tracker's WebSocket URL (its `token` query parameter is passed on). */
  tracker: string;
  /** This viewer's peer_id in every swarm (the core's `trackerClientVersionPrefix`). */
  peerId: string;
  /** The secret that proves `peerId` (peer-proof): sent only with a backup's report of its own fetches. */
  peerSecret: string;
  fetch?: typeof fetch;
  /** Milliseconds on a monotonic clock (injected by tests). */
  now?: () => number;
  random?: () => number;
  /** This viewer's report for a swarm, sent with each poll of it. */
  report?: (infoHash: string) => ViewerReport;
  /** Called after each answer is kept, so the caller can re-plan at once rather than at its next tick. */
  onAnswer?: (infoHash: string) => void;
}

/** Often enough to follow the swarm's size and a seeder's departure; a poll per viewer and swarm. */
export const POLL_MS = 5000;
/** A viewer the tracker does not know yet (its first announce is on the way) asks again soon. */
const UNKNOWN_RETRY_MS = 1000;
const MAX_ERROR_BACKOFF_MS = 30_000;
/** Polls spread over this much after a slot boundary, so a swarm does not ask all at once. */
const SLOT_JITTER_MS = 500;
/**
 * An unchanged report is sent again this often (the tracker may have moved the viewer to another
 * cell, or lost it); a report carries the peer_id's secret, so not with every poll.
 */
const REPORT_REFRESH_MS = 60_000;
/** Bounds what a page can make the client track (renditions and audio tracks of one player). */
const MAX_SWARMS = 16;
const REQUEST_TIMEOUT_MS = 5000;

export class CoordinationClient {
  private readonly answers = new Map<string, SwarmCoordination>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly errors = new Map<string, number>();
  /** The report each swarm's tracker last took, and when (on the client's clock). */
  private readonly reported = new Map<string, { text: string; at: number }>();
  /** Segments this viewer fetched from the origin as a backup, per swarm, not yet reported. */
  private readonly missed = new Map<string, number>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Set when the tracker says it does not coordinate (404): stop asking. */
  private unsupported = false;
  private stopped = false;
  private tracker: string;

  constructor(private readonly options: CoordinationClientOptions) {
    this.tracker = options.tracker;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
  }

  /** Starts following a swarm (idempotent). */
  watch(infoHash: string): void {
    if (this.stopped || this.unsupported || this.timers.has(infoHash) || this.timers.size >= MAX_SWARMS) return;
    this.schedule(infoHash, 0);
  }

  get(infoHash: string): SwarmCoordination | undefined {
    return this.answers.get(infoHash);
  }

  /**
   * This viewer, a backup in `infoHash`, had to fetch a new segment from the origin: the seeders
   * did not bring it. Told to the tracker at once, which then passes them over for the slot.
   */
  reportMissed(infoHash: string): void {
    if (this.stopped || this.unsupported || !this.timers.has(infoHash)) return;
    const reported = this.missed.has(infoHash);
    this.missed.set(infoHash, (this.missed.get(infoHash) ?? 0) + 1);
    if (reported) return;
    clearTimeout(this.timers.get(infoHash));
    this.schedule(infoHash, 0);
  }

  /** The tracker URL with a renewed token: the next polls carry it. */
  useTracker(tracker: string): void {
    this.tracker = tracker;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * The report's query parameters, when there is something to say that the tracker has not heard
   * from this client in the last REPORT_REFRESH_MS; null otherwise (the poll is then anonymous).
   */
  private reportFor(infoHash: string): Array<[string, string]> | null {
    const report = this.options.report?.(infoHash);
    if (!report) return null;
    const params: Array<[string, string]> = [];
    const put = (name: string, value: number | null, limits: { minimum: number; maximum: number }) => {
      // The tracker refuses a poll with a value out of range: one that is not a figure is left out.
      if (value !== null && Number.isInteger(value) && value >= limits.minimum && value <= limits.maximum) params.push([name, String(value)]);
    };
    put(REPORT_PARAMETERS.uplinkKbit, report.uplinkKbit, REPORT_LIMITS.uplinkKbit);
    put(REPORT_PARAMETERS.segmentBytes, report.segmentBytes, REPORT_LIMITS.segmentBytes);
    put(REPORT_PARAMETERS.budgetMs, report.budgetMs, REPORT_LIMITS.budgetMs);
    // Uploading and connected are what the tracker assumes of a viewer that says nothing.
    if (params.length === 0 && report.uploads && report.connected) return null;
    params.push([REPORT_PARAMETERS.uploads, report.uploads ? '1' : '0'], [REPORT_PARAMETERS.connected, report.connected ? '1' : '0']);
    const last = this.reported.get(infoHash);
    if (last && last.text === String(new URLSearchParams(params)) && this.now() - last.at < REPORT_REFRESH_MS) return null;
    return params;
  }

  private schedule(infoHash: string, delayMs: number): void {
    if (this.stopped || this.unsupported) return;
    this.timers.set(infoHash, setTimeout(() => void this.poll(infoHash), delayMs));
  }

  private async poll(infoHash: string): Promise<void> {
    const url = new URL(trackerHttpUrl(this.tracker, '/coordination', ['token']));
    url.searchParams.set('info_hash', infoHash);
    url.searchParams.set('peer_id', this.options.peerId);
    const report = this.reportFor(infoHash);
    for (const [name, value] of report ?? []) url.searchParams.set(name, value);
    const missed = this.missed.get(infoHash);
    if (missed !== undefined) url.searchParams.set(MISSED_PARAMETER, String(missed));
    // Both need the proof of the peer_id (anyone could claim them for another viewer): sent only with them.
    if (missed !== undefined || report) url.searchParams.set(PEER_SECRET_PARAMETER, this.options.peerSecret);
    let next: number;
    try {
      const response = await this.fetch(url.href, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (response.status === 404) {
        this.unsupported = true;
        return;
      }
      const body: unknown = response.ok ? await response.json() : undefined;
      if (!conforms(coordinationAnswerSchema, body)) throw new Error(`HTTP ${response.status}`);
      const receivedAt = this.now();
      this.answers.set(infoHash, {
        swarmSize: body.swarm_size,
        seeders: body.seeders,
        rank: body.rank,
        slotEndsAt: receivedAt + body.next_slot_in_ms,
        receivedAt,
      });
      this.errors.delete(infoHash);
      // The tracker keeps the reports of its members only: one not listed yet says it again.
      if (report && body.rank !== null) this.reported.set(infoHash, { text: String(new URLSearchParams(report)), at: receivedAt });
      // Reported (the tracker heard it, or the slot has moved on): a later miss is news again.
      this.missed.delete(infoHash);
      this.options.onAnswer?.(infoHash);
      next = body.rank === null ? UNKNOWN_RETRY_MS : Math.min(POLL_MS, body.next_slot_in_ms + this.random() * SLOT_JITTER_MS);
    } catch {
      const failures = (this.errors.get(infoHash) ?? 0) + 1;
      this.errors.set(infoHash, failures);
      next = Math.min(MAX_ERROR_BACKOFF_MS, POLL_MS * 2 ** (failures - 1));
    }
    this.schedule(infoHash, next);
  }
}
