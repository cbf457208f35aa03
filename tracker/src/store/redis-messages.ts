/**
 * What an instance publishes on another instance's channel: a batch of deliveries, each one JSON
 * header line with the delivery's fields followed by its frame line. The ~1 KB SDP frame is
 * already JSON and is sent to the client unchanged, so it is never escaped a second time; JSON
 * never contains a raw newline, so newlines separate the lines whatever bytes the ids hold.
 */
import type { Delivery } from './store.ts';

type Header = [toOwner: string, kind: Delivery['kind'], infoHash: string, toPeerId: string, fromPeerId: string, fromOwner: string, offerId: string];

export function encodeDelivery(delivery: Delivery): string {
  const header: Header = [delivery.toOwner, delivery.kind, delivery.infoHash, delivery.toPeerId, delivery.fromPeerId, delivery.fromOwner, delivery.offerId];
  return JSON.stringify(header) + '\n' + delivery.frame;
}

export function encodeBatch(encoded: string[]): string {
  return encoded.join('\n');
}

function decodeHeader(line: string): Header | undefined {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 7 || !header.every((field) => typeof field === 'string')) return undefined;
  return header[1] === 'offer' || header[1] === 'answer' ? (header as Header) : undefined;
}

/** The deliveries in a batch, and how many lines could not be read as ours. */
export function decodeBatch(message: string): { deliveries: Delivery[]; malformed: number } {
  const lines = message.split('\n');
  const deliveries: Delivery[] = [];
  let malformed = 0;
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const header = decodeHeader(lines[i]!);
    if (!header) {
      malformed++;
      continue;
    }
    const [toOwner, kind, infoHash, toPeerId, fromPeerId, fromOwner, offerId] = header;
    deliveries.push({ kind, infoHash, toPeerId, toOwner, fromPeerId, fromOwner, offerId, frame: lines[i + 1]! });
  }
  if (lines.length % 2 === 1) malformed++;
  return { deliveries, malformed };
}
