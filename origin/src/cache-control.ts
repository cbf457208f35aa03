/** A segment URL always names the same bytes (live segment URLs carry their sequence number). */
export const SEGMENT_CACHE = 'public, max-age=31536000, immutable';

/** Live playlists change every segment; one second keeps shared caches at most one refresh behind. */
export const LIVE_PLAYLIST_CACHE = 'public, max-age=1';

/** VOD playlists and manifests only change when an operator re-encodes; a minute bounds staleness. */
export const VOD_PLAYLIST_CACHE = 'public, max-age=60';

/** Errors (e.g. a live segment not produced yet) must not be cached. */
export const ERROR_CACHE = 'no-store';

/** The demo page and SDK bundle are rebuilt during development: always revalidate. */
export const DEVELOPMENT_ASSET_CACHE = 'no-cache';

/** The Cache-Control values of stream responses (playlists, segments, integrity manifests). */
export interface StreamCache {
  segment: string;
  livePlaylist: string;
  vodPlaylist: string;
}

/**
 * With access tokens on (ORIGIN_AUTH=required) a shared cache (a CDN, a corporate proxy) must not
 * keep a private stream and hand it to whoever asks: responses are `private`, still cacheable by
 * the viewer's own browser. A CDN in front of a private origin must be set up to check tokens
 * itself (see the README's security model) rather than cache on `public`.
 */
export function streamCache(privateStreams: boolean): StreamCache {
  const scope = (policy: string) => (privateStreams ? policy.replace(/^public\b/, 'private') : policy);
  return { segment: scope(SEGMENT_CACHE), livePlaylist: scope(LIVE_PLAYLIST_CACHE), vodPlaylist: scope(VOD_PLAYLIST_CACHE) };
}
