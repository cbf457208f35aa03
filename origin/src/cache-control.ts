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
