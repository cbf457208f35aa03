/**
 * Signed access tokens for private streams: `<payload>.<signature>`, both base64url, where the
 * payload is JSON `{"exp": <unix seconds>, "swarms"?: [...], "hashes"?: [...]}` and the signature
 * is HMAC-SHA256 of the payload part under a key the tracker, the origin and the site backend share.
 * Only node:crypto here: the origin and a site backend import this file on its own.
 *
 * What a token covers (`AccessGrant.covers(info_hash)`):
 * - `hashes`: info_hashes, exactly as they appear on the wire (20-character strings);
 * - `swarms`: swarm ids (p2p-media-loader's `swarmId`, by default the playlist URL without its
 *   query). p2p-media-loader-core 2.3.x announces `base64(sha1("v2-<swarmId>-<type>-<index>"))[0..20]`
 *   per rendition, so a swarm id covers the info_hashes of types main/secondary with index 0–31:
 *   what a Core driven directly (index "0", "1", …) announces. The hls.js integration (and so the
 *   browser SDK) uses as index a hash of each level's attributes (p2p-media-loader-hlsjs 2.3.1
 *   segment-manager.ts: `generateStreamShortId`, exported by p2p-media-loader-core), which the tracker
 *   cannot enumerate: for those viewers list the info_hashes (`infoHashFor(swarmId, 'main', index)`
 *   for each level) or use `"*"`;
 * - `"*"` in `swarms`: every info_hash of this deployment (the token then only proves the viewer
 *   was let in by the site's backend, until it expires).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Renditions per type a swarm id covers: masters rarely have more than a dozen. */
export const RENDITION_INDEXES = 32;
/** Longer tokens are refused before any parsing or hashing. */
export const MAX_TOKEN_LENGTH = 8192;
/** Swarm ids plus info_hashes in one token; each swarm id costs 64 hashes to check against. */
export const MAX_TOKEN_ENTRIES = 64;
/** Keys shorter than this are refused at start: an HMAC key is only as strong as it is long. */
export const MIN_KEY_LENGTH = 16;
/**
 * Memory the grant cache may hold, estimated per entry as its token's length plus
 * BYTES_PER_COVERED_HASH for each info_hash it covers: a 64-swarm token covers 4,096 (~250 KB once
 * derived), so a count alone would let a few thousand such tokens take gigabytes.
 */
export const GRANT_CACHE_BYTES = 16 * 1024 * 1024;
/** A 20-character info_hash in a Set: ~61 bytes measured with Node 20, rounded up. */
const BYTES_PER_COVERED_HASH = 70;
/** An HMAC-SHA256 in base64url without padding: 32 bytes, 43 characters. */
const SIGNATURE_LENGTH = 43;

export interface TokenClaims {
  /** Swarm ids covered ("*": all). */
  swarms?: string[];
  /** Info_hashes covered, as on the wire. */
  hashes?: string[];
  /** Expiry, Unix seconds. */
  exp: number;
}

export interface MintOptions {
  swarms?: string[];
  infoHashes?: string[];
  /** Lifetime in seconds from `now`. */
  ttlSec: number;
  /** Milliseconds since the epoch; for tests. */
  now?: number;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const sign = (payload: string, key: string) => createHmac('sha256', key).update(payload).digest();

/** A token for `options`, signed with `key` (the current one, when two are accepted). */
export function mintToken(options: MintOptions, key: string): string {
  const claims: TokenClaims = { exp: Math.floor((options.now ?? Date.now()) / 1000) + options.ttlSec };
  if (options.swarms?.length) claims.swarms = options.swarms;
  if (options.infoHashes?.length) claims.hashes = options.infoHashes;
  if (!claims.swarms && !claims.hashes) throw new RangeError('a token must cover at least one swarm id or info_hash');
  if ((claims.swarms?.length ?? 0) + (claims.hashes?.length ?? 0) > MAX_TOKEN_ENTRIES) {
    throw new RangeError(`a token covers at most ${MAX_TOKEN_ENTRIES} swarm ids and info_hashes`);
  }
  const payload = base64url(JSON.stringify(claims));
  return `${payload}.${base64url(sign(payload, key))}`;
}

/** The info_hash p2p-media-loader-core 2.3.x announces for one rendition of a swarm. */
export function infoHashFor(swarmId: string, type: 'main' | 'secondary', index: string): string {
  return createHash('sha1').update(`v2-${swarmId}-${type}-${index}`).digest().subarray(0, 15).toString('base64');
}

/** What a verified token lets its bearer announce in. */
export interface AccessGrant {
  expiresAt: number;
  covers(infoHash: string): boolean;
}

export type Verification = { ok: true; grant: AccessGrant } | { ok: false; reason: string };

function coveredHashes(claims: TokenClaims): Set<string> {
  const covered = new Set(claims.hashes);
  for (const swarm of claims.swarms ?? []) {
    for (const type of ['main', 'secondary'] as const) {
      for (let index = 0; index < RENDITION_INDEXES; index++) covered.add(infoHashFor(swarm, type, String(index)));
    }
  }
  return covered;
}

function grantFor(claims: TokenClaims): AccessGrant {
  const expiresAt = claims.exp * 1000;
  if (claims.swarms?.includes('*')) return { expiresAt, covers: () => true };
  // Derived on first use: the origin checks only signature and expiry and never needs the hashes.
  let covered: Set<string> | undefined;
  return { expiresAt, covers: (infoHash) => (covered ??= coveredHashes(claims)).has(infoHash) };
}

/** The cache's estimate of what a grant for `claims` holds once derived. */
function cacheWeight(token: string, claims: TokenClaims): number {
  const hashes = claims.swarms?.includes('*') ? 0 : (claims.hashes?.length ?? 0) + (claims.swarms?.length ?? 0) * 2 * RENDITION_INDEXES;
  return token.length + hashes * BYTES_PER_COVERED_HASH;
}

/**
 * Whether `signature` is the one base64url spelling of 32 bytes. Node's decoder skips characters
 * outside the alphabet, padding and the last character's spare bits, so without this check
 * `token + "!"` and its siblings would verify too: each a new cache entry for the same token.
 */
function isCanonicalSignature(signature: string): boolean {
  return signature.length === SIGNATURE_LENGTH && Buffer.from(signature, 'base64url').toString('base64url') === signature;
}

function parseClaims(payload: string): TokenClaims | undefined {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { exp, swarms, hashes } = claims as Record<string, unknown>;
  const strings = (list: unknown) => list === undefined || (Array.isArray(list) && list.every((item) => typeof item === 'string'));
  if (typeof exp !== 'number' || !strings(swarms) || !strings(hashes)) return undefined;
  const entries = ((swarms as string[] | undefined)?.length ?? 0) + ((hashes as string[] | undefined)?.length ?? 0);
  if (entries === 0 || entries > MAX_TOKEN_ENTRIES) return undefined;
  return claims as TokenClaims;
}

/**
 * Checks tokens against the accepted keys (current and previous, for rotation). Grants are cached
 * per token, so the viewers of one event sharing a token cost one derivation between them; the
 * cache holds at most GRANT_CACHE_BYTES (estimated), least recently used first out.
 */
export class TokenVerifier {
  private readonly keys: string[];
  private readonly cache = new Map<string, { grant: AccessGrant; weight: number }>();
  private cachedBytes = 0;

  constructor(keys: string[]) {
    if (keys.length === 0) throw new RangeError('at least one token key is needed');
    this.keys = keys;
  }

  /** The verdict on a token verified before, without hashing anything; undefined when it is not cached. */
  cached(token: string | undefined, now = Date.now()): Verification | undefined {
    const entry = token === undefined ? undefined : this.cache.get(token);
    if (!entry) return undefined;
    this.cache.delete(token!);
    if (entry.grant.expiresAt <= now) {
      this.cachedBytes -= entry.weight;
      return { ok: false, reason: 'access token expired' };
    }
    this.cache.set(token!, entry);
    return { ok: true, grant: entry.grant };
  }

  verify(token: string | undefined, now = Date.now()): Verification {
    if (!token) return { ok: false, reason: 'an access token is required (?token=)' };
    const cached = this.cached(token, now);
    if (cached) return cached;
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'access token too long' };
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !isCanonicalSignature(signature)) return { ok: false, reason: 'malformed access token' };
    const given = Buffer.from(signature, 'base64url');
    if (!this.keys.some((key) => timingSafeEqual(given, sign(payload, key)))) return { ok: false, reason: 'access token signature is not valid' };
    const claims = parseClaims(payload);
    if (!claims) return { ok: false, reason: 'malformed access token' };
    if (claims.exp * 1000 <= now) return { ok: false, reason: 'access token expired' };
    const grant = grantFor(claims);
    this.remember(token, grant, cacheWeight(token, claims));
    return { ok: true, grant };
  }

  private remember(token: string, grant: AccessGrant, weight: number): void {
    if (weight > GRANT_CACHE_BYTES) return;
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes + weight <= GRANT_CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cachedBytes -= entry.weight;
    }
    this.cache.set(token, { grant, weight });
    this.cachedBytes += weight;
  }
}
