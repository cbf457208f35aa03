/**
 * Proof that a peer_id belongs to the socket announcing it. A coordinated viewer uses one peer_id
 * in every swarm, and every offer it sends carries it, so anyone could announce it first in a
 * swarm the viewer has not joined yet, or while the viewer reconnects, and keep the viewer out.
 * So the viewer draws a secret and derives the last 12 characters of its peer_id from it (SHA-1,
 * which the player bundles already for swarm ids: ~71 bits to match, and finding a preimage is
 * what nobody can do, SHA-1's collisions notwithstanding); it hands the secret to the
 * tracker in the WebSocket URL (`?peer_secret=`), never to peers. The tracker lets a socket that
 * proves a peer_id take it from one that does not, or from the viewer's own previous socket.
 * Unmodified p2p-media-loader clients send no secret and keep the first-come rule.
 *
 * Plain module (no node:crypto): the player SDK bundles it, the tracker checks with it.
 */
import { sha1 } from '@noble/hashes/legacy.js';

/** The WebSocket URL's query parameter; redacted from logs like a token. */
export const PEER_SECRET_PARAMETER = 'peer_secret';
/** p2p-media-loader 2.3's peer_id: an 8-character client prefix, then 12 characters. */
export const PEER_ID_PREFIX = '-PM0203-';
const PEER_ID_LENGTH = 20;
const PROVEN_LENGTH = PEER_ID_LENGTH - PEER_ID_PREFIX.length;
const PEER_ID_SYMBOLS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** base64url, 128 bits at least (22 characters) and no more than a URL needs. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

export function isPeerSecret(secret: string): boolean {
  return SECRET_PATTERN.test(secret);
}

/** The 12 characters a secret proves; the caller has checked it with {@link isPeerSecret}. */
export function provenSuffix(secret: string): string {
  const digest = sha1(new TextEncoder().encode(`swarmcast peer_id:${secret}`));
  let suffix = '';
  for (let i = 0; i < PROVEN_LENGTH; i++) suffix += PEER_ID_SYMBOLS[digest[i]! % PEER_ID_SYMBOLS.length];
  return suffix;
}

/** Whether `secret`'s suffix ends `peerId` (the prefix is the client's to choose). */
export function provesPeerId(suffix: string, peerId: string): boolean {
  return peerId.length === PEER_ID_LENGTH && peerId.endsWith(suffix);
}

/** A new secret and the peer_id it proves; `randomBytes` fills 16 bytes (crypto.getRandomValues). */
export function newPeerIdentity(randomBytes: (bytes: Uint8Array) => Uint8Array): { peerId: string; secret: string } {
  const secret = btoa(String.fromCharCode(...randomBytes(new Uint8Array(16)))).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  return { peerId: PEER_ID_PREFIX + provenSuffix(secret), secret };
}

/** A tracker URL that proves this viewer's peer_id. */
export function withPeerSecret(tracker: string, secret: string): string {
  const url = new URL(tracker);
  url.searchParams.set(PEER_SECRET_PARAMETER, secret);
  return url.href;
}
