/**
 * What the player accepts, as p2p-media-loader's `validateP2PSegment` and `validateHTTPSegment`
 * hooks. Both are needed: p2p-media-loader resumes an interrupted peer download over HTTP with a
 * Range request, so a segment "from HTTP" can hold a peer's bytes.
 *
 * It fails closed. Peers stay off until the manifest has loaded: a failed load (network error,
 * 5xx, 401, malformed body) is retried with backoff for the whole session. Only in `'auto'` mode
 * does a 404 count as an answer — the site publishes no manifest — and then peers' data is used
 * unchecked (`stats.integrity.enabled` stays false). With the manifest, a segment any peer
 * contributed to is kept only if its hash matches; a segment the origin alone sent is kept unless
 * the manifest lists another hash (the origin is trusted for what the manifest does not list).
 * A peer that alone sent an altered segment is banned: anything it sends later is rejected unread,
 * which also makes p2p-media-loader close its connection each time. (When several peers
 * contributed, none is banned: the culprit is unknown.)
 */
import type { Emitter } from './events.ts';
import { IntegrityManifest, ManifestHttpError, manifestRetryDelayMs, manifestUrlFor, type FetchJson, type Verdict } from './integrity.ts';
import type { ResolvedOptions } from './options.ts';
import type { IntegrityStats } from './stats.ts';

/** `loading`: no manifest yet (first attempt, or retrying); `loaded`: checking; `unpublished`: `'auto'` and the origin has none. */
export type ManifestStatus = 'loading' | 'loaded' | 'unpublished';

export interface IntegrityCheckOptions {
  url: string;
  /** `'auto'` mode: a 404 means the site publishes no manifest. */
  optional: boolean;
  fetchJson: FetchJson;
  stats: IntegrityStats;
  emitter: Emitter;
  /** Called once, when peers may be used (the manifest loaded, or none is published). */
  onPeersAllowed: () => void;
  random?: () => number;
}

export class IntegrityCheck {
  private currentStatus: ManifestStatus = 'loading';
  private readonly manifest: IntegrityManifest;
  /**
   * Peers that started sending each segment URL being loaded (p2p-media-loader does not tell the
   * hooks). A peer stays listed until the segment is judged, even when p2p-media-loader dropped its
   * bytes meanwhile: the next HTTP load is then judged as peer data, so at worst a segment the
   * manifest does not list is fetched twice.
   */
  private readonly contributors = new Map<string, Set<string>>();
  private readonly banned = new Set<string>();
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: IntegrityCheckOptions) {
    this.manifest = new IntegrityManifest(options.url, options.fetchJson);
    void this.load();
  }

  get status(): ManifestStatus {
    return this.currentStatus;
  }

  /** Whether peers must stay off: there is no manifest yet to check what they would send. */
  get holdsPeersOff(): boolean {
    return this.currentStatus === 'loading';
  }

  /** A peer started sending bytes of `segmentUrl` (p2p-media-loader's `onSegmentStart`). */
  peerStarted(segmentUrl: string, peerId: string): void {
    const peers = this.contributors.get(segmentUrl) ?? new Set<string>();
    this.contributors.set(segmentUrl, peers.add(peerId));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  readonly validateP2P = async (segmentUrl: string, _byteRange: unknown, data: ArrayBuffer): Promise<boolean> => {
    const peers = this.take(segmentUrl);
    if ([...peers].some((peer) => this.banned.has(peer))) {
      this.options.stats.rejected++;
      return false;
    }
    return this.judgePeerData(segmentUrl, data, peers);
  };

  readonly validateHttp = async (segmentUrl: string, _byteRange: unknown, data: ArrayBuffer): Promise<boolean> => {
    const peers = this.take(segmentUrl);
    if (peers.size > 0) return this.judgePeerData(segmentUrl, data, peers);
    if (this.currentStatus !== 'loaded' || (await this.manifest.verify(segmentUrl, data)) !== 'altered') return true;
    this.reject(segmentUrl, peers, 'altered');
    return false;
  };

  private take(segmentUrl: string): Set<string> {
    const peers = this.contributors.get(segmentUrl) ?? new Set<string>();
    this.contributors.delete(segmentUrl);
    return peers;
  }

  private async judgePeerData(segmentUrl: string, data: ArrayBuffer, peers: Set<string>): Promise<boolean> {
    if (this.currentStatus === 'unpublished') return true;
    const verdict = this.currentStatus === 'loaded' ? await this.manifest.verify(segmentUrl, data) : 'unknown';
    if (verdict === 'valid') {
      this.options.stats.verified++;
      return true;
    }
    this.reject(segmentUrl, peers, verdict);
    return false;
  }

  private reject(segmentUrl: string, peers: Set<string>, verdict: Exclude<Verdict, 'valid'>): void {
    const { stats, emitter } = this.options;
    stats.rejected++;
    const [first] = peers;
    const culprit = peers.size === 1 ? first : undefined;
    if (verdict === 'altered' && culprit !== undefined && !this.banned.has(culprit)) {
      this.banned.add(culprit);
      stats.bannedPeers++;
      emitter.emit('error', { code: 'integrity', message: `peer ${culprit} sent altered data for ${segmentUrl}; peer banned`, fatal: false });
    }
    emitter.emit('fallback', { reason: 'integrity', verdict, url: segmentUrl, ...(culprit === undefined ? {} : { peerId: culprit }) });
  }

  private async load(): Promise<void> {
    try {
      await this.manifest.load();
    } catch (error) {
      if (this.stopped) return;
      if (this.options.optional && error instanceof ManifestHttpError && error.status === 404) {
        this.allowPeers('unpublished');
        return;
      }
      const delayMs = manifestRetryDelayMs(++this.failures, (this.options.random ?? Math.random)());
      const reason = error instanceof Error ? error.message : String(error);
      this.options.emitter.emit('error', {
        code: 'integrity',
        message: `integrity manifest not loaded (${reason}); peers stay off, next attempt in ${Math.ceil(delayMs / 1000)} s`,
        fatal: false,
      });
      this.retry = setTimeout(() => void this.load(), delayMs);
      return;
    }
    if (this.stopped) return;
    this.options.stats.enabled = true;
    this.allowPeers('loaded');
  }

  private allowPeers(status: Exclude<ManifestStatus, 'loading'>): void {
    this.currentStatus = status;
    this.options.onPeersAllowed();
  }
}

/** The check the `integrity` option asks for; null for `false`. */
export function integrityCheckFor(
  options: Pick<ResolvedOptions, 'integrity' | 'src'>,
  dependencies: Omit<IntegrityCheckOptions, 'url' | 'optional'>,
): IntegrityCheck | null {
  if (options.integrity === false) return null;
  const optional = options.integrity === 'auto';
  const url = typeof options.integrity === 'string' && !optional ? options.integrity : manifestUrlFor(options.src);
  return new IntegrityCheck({ url, optional, ...dependencies });
}
