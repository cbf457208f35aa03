/**
 * The message an instance publishes on another instance's channel: one JSON header line with the
 * delivery's fields, then the frame as is. The ~1 KB SDP frame is already JSON and is sent to the
 * client unchanged, so it is never escaped a second time; JSON escapes newlines, so the first one
 * ends the header whatever bytes the binary ids hold.
 */
import type { Delivery } from './store.ts';

type Header = [toOwner: string, kind: Delivery['kind'], infoHash: string, toPeerId: string, fromPeerId: string, fromOwner: string, offerId: string];

export function encodeDelivery(delivery: Delivery): string {
  const header: Header = [delivery.toOwner, delivery.kind, delivery.infoHash, delivery.toPeerId, delivery.fromPeerId, delivery.fromOwner, delivery.offerId];
  return JSON.stringify(header) + '\n' + delivery.frame;
}

/** The delivery in a message, or undefined if it is not one of ours. */
export function decodeDelivery(message: string): Delivery | undefined {
  const end = message.indexOf('\n');
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(message.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 7 || !header.every((field) => typeof field === 'string')) return undefined;
  const [toOwner, kind, infoHash, toPeerId, fromPeerId, fromOwner, offerId] = header as Header;
  if (kind !== 'offer' && kind !== 'answer') return undefined;
  return { kind, infoHash, toPeerId, toOwner, fromPeerId, fromOwner, offerId, frame: message.slice(end + 1) };
}
