import type { IncomingHttpHeaders } from 'node:http';

/** Validators of a representation, as sent in `ETag` and `Last-Modified`. */
export interface Validators {
  etag: string;
  lastModifiedMs: number;
}

/** HTTP dates carry whole seconds, so comparisons drop the milliseconds of the file time. */
function wholeSec(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** True when a GET/HEAD may be answered 304 (RFC 9110 §13.1.2–3: If-None-Match wins). */
export function isNotModified(headers: IncomingHttpHeaders, validators: Validators): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const current = opaqueTag(validators.etag);
    return ifNoneMatch.split(',').some((tag) => {
      const trimmed = tag.trim();
      return trimmed === '*' || opaqueTag(trimmed) === current;
    });
  }
  const ifModifiedSince = headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && wholeSec(validators.lastModifiedMs) <= since;
}

/** False when `If-Range` names another version: the client then gets the full body (§13.1.5). */
export function rangeStillValid(headers: IncomingHttpHeaders, validators: Validators): boolean {
  const ifRange = headers['if-range'];
  if (typeof ifRange !== 'string') return true;
  if (ifRange.startsWith('"')) return ifRange === validators.etag;
  if (ifRange.startsWith('W/')) return false;
  return Date.parse(ifRange) === wholeSec(validators.lastModifiedMs);
}
