/**
 * The message an instance publishes on another instance's channel: one JSON header line with the
 * owner and the delivery's fields, then the frame as is. The ~1 KB SDP frame is already JSON and
 * is sent to the client unchanged, so it is never escaped a second time; JSON escapes newlines,
 * so the first one ends the header whatever bytes the binary ids hold.
 */
import type { Delivery } from './store.ts';

type Header = [owner: string, kind: Delivery['kind'], infoHash: string, toPeerId: string, fromPeerId: string, offerId: string];

export function encodeDelivery(owner: string, delivery: Delivery): string {
  const header: Header = [owner, delivery.kind, delivery.infoHash, delivery.toPeerId, delivery.fromPeerId, delivery.offerId];
  return JSON.stringify(header) + '\n' + delivery.frame;
}

/** The owner and delivery in a message, or undefined if it is not one of ours. */
export function decodeDelivery(message: string): { owner: string; delivery: Delivery } | undefined {
  const end = message.indexOf('\n');
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(message.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 6 || !header.every((field) => typeof field === 'string')) return undefined;
  const [owner, kind, infoHash, toPeerId, fromPeerId, offerId] = header as Header;
  if (kind !== 'offer' && kind !== 'answer') return undefined;
  return { owner, delivery: { kind, infoHash, toPeerId, fromPeerId, offerId, frame: message.slice(end + 1) } };
}
