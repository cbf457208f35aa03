// Why a virtual viewer asked the origin for a segment, decided at the moment the request leaves
// (p2p-media-loader's httpRequestSetup hook runs once per real HTTP request, retries and range
// completions included), from the core's events and the policy's current plan.

export const FETCH_REASONS = ['startup', 'peer-failed', 'no-peers', 'seed', 'deadline'] as const;
export type FetchReason = (typeof FETCH_REASONS)[number];

export interface FetchContext {
  /** Playback has not started yet: the viewer is filling its first buffer. */
  starting: boolean;
  /** A P2P transfer of this segment started earlier (and did not deliver it). */
  peerAttempted: boolean;
  /** The request resumes bytes a peer already sent (p2p-media-loader asks for the rest as a range). */
  resumesPeerBytes: boolean;
  connectedPeers: number;
  /** Seconds from the playhead to the segment's start. */
  secondsAhead: number;
  /** The plan's HTTP window (p2p-media-loader's highDemandTimeWindow) when the request left. */
  httpWindowSec: number;
  /** The tracker made this viewer a seeder (seeding coordination) and it has peers to share with. */
  seeder: boolean;
}

/**
 * The first rule that holds wins: a startup fetch is startup whatever else is true; a segment a
 * peer began and HTTP finished is a peer failure even if the deadline came too.
 * Beyond the HTTP window only p2p-media-loader's random loader fetches over HTTP: that is seeding,
 * as is every fetch of a coordinated seeder (its window reaches the live edge on purpose).
 */
export function classifyFetch(context: FetchContext): FetchReason {
  if (context.starting) return 'startup';
  if (context.peerAttempted || context.resumesPeerBytes) return 'peer-failed';
  if (context.connectedPeers === 0) return 'no-peers';
  if (context.seeder || context.secondsAhead > context.httpWindowSec) return 'seed';
  return 'deadline';
}
