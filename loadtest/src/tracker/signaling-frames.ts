// WebTorrent tracker protocol frames as a p2p-media-loader viewer sends them, serialized ahead of
// time so the load generator spends its CPU on the wire, not on JSON, and the tracker is the
// bottleneck. Ids are 20 ASCII characters (a subset of the protocol's latin1 strings), so they
// need no JSON escaping and can be spliced into frames and found in replies by plain search.

export function infoHashOf(swarm: number): string {
  return 'swarmcast-bench-' + swarm.toString(36).padStart(4, '0');
}

export function peerIdOf(peer: number): string {
  return '-SC0001-' + peer.toString(36).padStart(12, '0');
}

/** Offer ids carry the announce's sequence number, so an answer tells its offerer when it asked. */
export function offerIdOf(peer: number, sequence: number, offer: number): string {
  return peer.toString(36).padStart(7, '0') + sequence.toString(36).padStart(12, '0') + offer.toString(36);
}

export function sequenceOfOfferId(offerId: string): number {
  return parseInt(offerId.slice(7, 19), 36);
}

/** Deterministic stand-in for Math.random so every run sends the same bytes. */
function pseudoRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** A data-channel-only SDP as Chromium writes it (~1 KB), with host and srflx candidates. */
export function sdpOf(type: 'offer' | 'answer', seed: number): string {
  const random = pseudoRandom(seed * 2 + (type === 'offer' ? 1 : 2));
  const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
  const token = (count: number) =>
    Array.from({ length: count }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[Math.floor(random() * 64)]).join('');
  const fingerprint = Array.from({ length: 32 }, () => Math.floor(random() * 256).toString(16).toUpperCase().padStart(2, '0')).join(':');
  const port = () => 49152 + Math.floor(random() * 16383);
  const hostPort = port();
  return [
    'v=0',
    `o=- ${digits(19)} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=candidate:${digits(10)} 1 udp 2122260223 192.168.1.${2 + Math.floor(random() * 250)} ${hostPort} typ host generation 0 network-id 1 network-cost 10`,
    `a=candidate:${digits(10)} 1 udp 2122194687 10.0.${Math.floor(random() * 255)}.${2 + Math.floor(random() * 250)} ${port()} typ host generation 0 network-id 2 network-cost 50`,
    `a=candidate:${digits(10)} 1 udp 1686052607 203.0.113.${2 + Math.floor(random() * 250)} ${port()} typ srflx raddr 192.168.1.23 rport ${hostPort} generation 0 network-id 1 network-cost 10`,
    `a=candidate:${digits(10)} 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 network-id 1 network-cost 10`,
    `a=ice-ufrag:${token(4)}`,
    `a=ice-pwd:${token(24)}`,
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fingerprint}`,
    `a=setup:${type === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join('\r\n');
}

/** Builds one peer's announces: only the offer ids (and the first `started`) change between them. */
export function announceFrameBuilder(options: {
  infoHash: string;
  peerId: string;
  numwant: number;
  offerSdps: string[];
}): (offerIds: string[], started: boolean) => string {
  const head =
    `{"action":"announce","info_hash":${JSON.stringify(options.infoHash)},"peer_id":${JSON.stringify(options.peerId)},` +
    `"numwant":${options.numwant},"uploaded":0,"downloaded":0,"left":0`;
  const offerTails = options.offerSdps.map((sdp) => `","offer":{"type":"offer","sdp":${JSON.stringify(sdp)}}}`);
  if (offerTails.length === 0) return (_offerIds, started) => head + (started ? ',"event":"started"}' : '}');
  return (offerIds, started) => {
    let frame = head + (started ? ',"event":"started","offers":[' : ',"offers":[');
    for (let i = 0; i < offerTails.length; i++) {
      frame += (i === 0 ? '{"offer_id":"' : ',{"offer_id":"') + offerIds[i] + offerTails[i];
    }
    return frame + ']}';
  };
}

/** Builds one peer's answers to relayed offers. */
export function answerFrameBuilder(options: {
  infoHash: string;
  peerId: string;
  answerSdp: string;
}): (toPeerId: string, offerId: string) => string {
  const head = `{"action":"announce","info_hash":${JSON.stringify(options.infoHash)},"peer_id":${JSON.stringify(options.peerId)},"to_peer_id":"`;
  const tail = `","answer":{"type":"answer","sdp":${JSON.stringify(options.answerSdp)}}}`;
  return (toPeerId, offerId) => head + toPeerId + '","offer_id":"' + offerId + tail;
}

export type FrameKind = 'response' | 'offer' | 'answer' | 'failure' | 'other';

const ANSWER_KEY = Buffer.from('"answer":');
const OFFER_KEY = Buffer.from('"offer":');
const FAILURE_KEY = Buffer.from('"failure reason"');
const INTERVAL_KEY = Buffer.from('"interval"');
export const FAILURE_REASON_KEY = Buffer.from('"failure reason":"');
export const OFFER_ID_KEY = Buffer.from('"offer_id":"');
// '"to_peer_id":"' does not contain this key: the character before "peer_id" there is '_'.
export const PEER_ID_KEY = Buffer.from('"peer_id":"');

/** What a tracker frame is, by key search rather than JSON.parse (trackers order keys differently). */
export function kindOf(frame: Buffer): FrameKind {
  if (frame.indexOf(ANSWER_KEY) !== -1) return 'answer';
  if (frame.indexOf(OFFER_KEY) !== -1) return 'offer';
  if (frame.indexOf(FAILURE_KEY) !== -1) return 'failure';
  if (frame.indexOf(INTERVAL_KEY) !== -1) return 'response';
  return 'other';
}

/** The value of a string field whose key (with its opening quote) is `key`, unescaped ASCII only. */
export function stringField(frame: Buffer, key: Buffer): string | undefined {
  const at = frame.indexOf(key);
  if (at === -1) return undefined;
  const start = at + key.length;
  const end = frame.indexOf(0x22, start);
  return end === -1 ? undefined : frame.toString('latin1', start, end);
}
