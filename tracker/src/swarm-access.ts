/**
 * Who may reach which swarm: the `Origin` allow-list, access tokens (TRACKER_AUTH) and the
 * info_hash allow-list. One set of rules for the WebSocket upgrade, the announces and scrapes on
 * it, and `GET /coordination`, so an HTTP side door never lets in what the socket refuses.
 */
import { TokenVerifier, type AccessGrant } from '@swarmcast/protocol/access-token';
import type { TrackerConfig } from './config.ts';
import { AddressRateLimiter } from './telemetry/rate-limit.ts';

/** A refusal's status: 401 for the token itself, 429 when its address checked too many new tokens. */
export type Admission = { ok: true; grant: AccessGrant | undefined } | { ok: false; status: 401 | 429; reason: string };

export class SwarmAccess {
  private readonly verifier: TokenVerifier | undefined;
  private readonly tokenChecks: AddressRateLimiter;
  private readonly tokenChecksPerMinute: number;
  private readonly allowedOrigins: Set<string> | undefined;
  private readonly allowEmptyOrigin: boolean;
  private readonly allowedInfoHashes: Set<string> | undefined;

  constructor(
    config: Pick<TrackerConfig, 'trackerAuth' | 'tokenKeys' | 'tokenChecksPerMinute' | 'allowedOrigins' | 'allowEmptyOrigin' | 'allowedInfoHashes'>,
  ) {
    this.verifier = config.trackerAuth === 'required' ? new TokenVerifier(config.tokenKeys) : undefined;
    this.tokenChecks = new AddressRateLimiter(config.tokenChecksPerMinute);
    this.tokenChecksPerMinute = config.tokenChecksPerMinute;
    this.allowedOrigins = config.allowedOrigins && new Set(config.allowedOrigins);
    this.allowEmptyOrigin = config.allowEmptyOrigin;
    this.allowedInfoHashes = config.allowedInfoHashes && new Set(config.allowedInfoHashes);
  }

  /** Whether ALLOWED_ORIGINS is set: then pages of other origins are kept out. */
  get restrictsOrigins(): boolean {
    return this.allowedOrigins !== undefined;
  }

  /**
   * Why a request with this `Origin` header is refused; undefined when it is let in. Browsers
   * always send Origin, so this keeps other sites' pages out; any other client can forge it.
   */
  originRefusal(origin: string | undefined): string | undefined {
    if (!this.allowedOrigins) return undefined;
    if (origin === undefined) return this.allowEmptyOrigin ? undefined : 'an Origin header is required';
    return this.allowedOrigins.has(origin) ? undefined : `origin ${origin} is not allowed`;
  }

  /**
   * With TRACKER_AUTH=required, the token's grant or why it has none; otherwise no token is needed.
   * A token not seen before costs its verification and a cache entry, so each client address may
   * bring only so many new ones a minute; a cached token is always let in.
   */
  admit(token: string | undefined, address: string, now = Date.now()): Admission {
    if (!this.verifier) return { ok: true, grant: undefined };
    const verdict = this.verifier.cached(token, now) ?? (!token || this.tokenChecks.take(address, now) ? this.verifier.verify(token, now) : undefined);
    if (verdict === undefined) return { ok: false, status: 429, reason: `at most ${this.tokenChecksPerMinute} new access tokens per minute per address` };
    return verdict.ok ? verdict : { ok: false, status: 401, reason: verdict.reason };
  }

  /** Why the bearer of `grant` may not join or look into this swarm; undefined when it may. */
  swarmRefusal(infoHash: string, grant: AccessGrant | undefined): string | undefined {
    if (this.allowedInfoHashes?.has(infoHash) === false) return 'this tracker does not serve this info_hash';
    if (grant?.covers(infoHash) === false) return 'the access token does not cover this info_hash';
    return undefined;
  }

  /** Whether some swarms are closed to this grant's bearer: then which swarms exist is not for it to learn. */
  restrictsSwarms(grant: AccessGrant | undefined): boolean {
    return this.allowedInfoHashes !== undefined || grant !== undefined;
  }
}
