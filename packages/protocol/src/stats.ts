/**
 * What the servers' `/stats` answer (JSON, open to read): the origin's egress counters, from which
 * offload is measured, and the tracker's signaling counters. Readers (the load tester, benchmarks,
 * tests) use these types rather than spelling the fields again.
 */

/** What the origin counts a response as, by its path. */
export type FileKind = 'segment' | 'playlist' | 'manifest' | 'other';

export interface Tally {
  requests: number;
  /** Body bytes whose write completed on the socket; HEAD, 304 and 416 add none. */
  bytes: number;
  /** Responses whose connection closed before the whole body was written. */
  aborted: number;
}

export type KindTallies = Partial<Record<FileKind, Tally>>;

export interface StreamStats extends Tally {
  kinds: KindTallies;
  renditions: Record<string, Tally & { kinds: KindTallies }>;
}

/** The origin's `/stats`: totals since `since` (start, or the last reset), and per stream (`vod/<name>`, `live/<name>`). */
export interface OriginStats {
  /** ISO 8601. */
  since: string;
  total: Tally;
  streams: Record<string, StreamStats>;
}

/** One tracker instance's `/stats`; counters since it started. */
export interface TrackerStats {
  uptimeSec: number;
  /** WebSocket connections open on this instance now. */
  connections: number;
  /** Bytes waiting to be written to this instance's sockets. */
  queuedBytes: number;
  /** Swarms and peers in the store (every instance's, with Redis). */
  swarms: number;
  peers: number;
  announces: number;
  scrapes: number;
  offersRelayed: number;
  answersRelayed: number;
  /** Refused messages and connections, by each reason that occurred. */
  rejections: Record<string, number>;
}
