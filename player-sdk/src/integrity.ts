/**
 * SHA-256 check of peer segments against the origin's `segments-sha256.json` (its format:
 * `@swarmcast/protocol/integrity`).
 */
import { INTEGRITY_MANIFEST, readIntegrityManifest } from '@swarmcast/protocol/integrity';

/** A live manifest lists the next window too; refetch it at most this often when a key is missing. */
export const MANIFEST_REFRESH_MS = 1000;

export type Verdict = 'valid' | 'altered' | 'unknown';

/** Fetches and parses a JSON document; rejects with `ManifestHttpError` for an HTTP error status. */
export type FetchJson = (url: string) => Promise<unknown>;

/** The manifest request got an HTTP error status (a 404 in `'auto'` mode means "no manifest published"). */
export class ManifestHttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`${url}: HTTP ${status}`);
  }
}

export async function fetchManifestJson(url: string): Promise<unknown> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new ManifestHttpError(url, response.status);
  return response.json();
}

/**
 * Wait before the next attempt at a manifest that failed to load: doubling from 1 s up to 30 s,
 * drawn from the upper half of that so the viewers of an origin that failed together do not all
 * come back at the same instant.
 */
export const MANIFEST_RETRY_MIN_MS = 1000;
export const MANIFEST_RETRY_MAX_MS = 30_000;

/** `failures`: attempts that failed so far (1 after the first); `random`: uniform in [0, 1). */
export function manifestRetryDelayMs(failures: number, random: number): number {
  const ceiling = Math.min(MANIFEST_RETRY_MAX_MS, MANIFEST_RETRY_MIN_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

export function manifestUrlFor(src: string): string {
  return new URL(INTEGRITY_MANIFEST, src).href;
}

/** The manifest key of a segment URL, or null when it is not under the manifest's folder. */
export function manifestKey(segmentUrl: string, manifestUrl: string): string | null {
  const base = new URL('.', manifestUrl);
  const url = new URL(segmentUrl, base);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return null;
  return decodeURIComponent(url.pathname.slice(base.pathname.length));
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

export class IntegrityManifest {
  private hashes = new Map<string, string>();
  private refreshing: Promise<void> | null = null;
  private refreshedAt = -Infinity;

  constructor(
    readonly url: string,
    private readonly fetchJson: FetchJson,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Loads the manifest; rejects when it is missing or malformed. */
  async load(): Promise<void> {
    const hashes = readIntegrityManifest(await this.fetchJson(this.url));
    if (!hashes) throw new Error(`${this.url} is not a JSON object`);
    this.hashes = hashes;
    this.refreshedAt = this.now();
  }

  async verify(segmentUrl: string, data: ArrayBuffer): Promise<Verdict> {
    const key = manifestKey(segmentUrl, this.url);
    if (key === null) return 'unknown';
    let expected = this.hashes.get(key);
    if (expected === undefined) {
      await this.refresh();
      expected = this.hashes.get(key);
      if (expected === undefined) return 'unknown';
    }
    return (await sha256Hex(data)) === expected ? 'valid' : 'altered';
  }

  private refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.now() - this.refreshedAt < MANIFEST_REFRESH_MS) return Promise.resolve();
    this.refreshing = this.load()
      .catch(() => {
        this.refreshedAt = this.now();
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }
}
