/**
 * The WebTorrent tracker wire protocol as bittorrent-tracker's WebSocket server and
 * p2p-media-loader-core 2.3.x speak it: the single source of truth for message shapes. What
 * clients send is a TypeBox schema, which gives both the TypeScript type and the Ajv validator;
 * what the tracker sends is a plain type (it is never validated).
 * Ids (info_hash, peer_id, offer_id) are 20-character "binary" strings: code points 0–0xFF.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { constant, nullable, oneOf, parseJson, schemaCompiler } from './json-schema.ts';

/** The longest SDP accepted; real ones are 0.5–3 KB. */
export const MAX_SDP_LENGTH = 16 * 1024;
/** Ids are exactly 20 characters, each a code point up to 0xFF (a byte string in latin1). */
export const ID_PATTERN = '^[\\u0000-\\u00ff]{20}$';

const id = Type.String({ pattern: ID_PATTERN });
const count = nullable('number', { minimum: 0 });
const sessionDescription = <T extends string>(type: T) =>
  Type.Object({ type: constant(type), sdp: Type.String({ maxLength: MAX_SDP_LENGTH }) }, { additionalProperties: false });
const trackerid = Type.String({ maxLength: 64 });

export const ANNOUNCE_EVENTS = ['started', 'stopped', 'completed', 'paused', 'update'] as const;
export type AnnounceEvent = (typeof ANNOUNCE_EVENTS)[number];

/** A peer joining, refreshing or leaving a swarm, optionally with WebRTC offers for others. */
export const announceRequestSchema = (maxOffers: number) =>
  Type.Object({
    action: constant('announce'),
    info_hash: id,
    peer_id: id,
    event: Type.Optional(oneOf(ANNOUNCE_EVENTS)),
    numwant: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    uploaded: Type.Optional(count),
    downloaded: Type.Optional(count),
    left: Type.Optional(count),
    trackerid: Type.Optional(trackerid),
    offers: Type.Optional(
      Type.Array(Type.Object({ offer_id: id, offer: sessionDescription('offer') }, { additionalProperties: false }), { maxItems: maxOffers }),
    ),
  });
export type AnnounceRequest = Static<ReturnType<typeof announceRequestSchema>>;
export type Offer = NonNullable<AnnounceRequest['offers']>[number];

/** A peer's answer to an offer it was relayed; sent as an announce with `answer`. */
export const answerRequestSchema = Type.Object({
  action: constant('announce'),
  info_hash: id,
  peer_id: id,
  to_peer_id: id,
  offer_id: id,
  answer: sessionDescription('answer'),
  trackerid: Type.Optional(trackerid),
});
export type AnswerRequest = Static<typeof answerRequestSchema>;

export const scrapeRequestSchema = (maxHashes: number) =>
  Type.Object({
    action: constant('scrape'),
    info_hash: Type.Optional(Type.Union([id, Type.Array(id, { maxItems: maxHashes })])),
  });
export type ScrapeRequest = Static<ReturnType<typeof scrapeRequestSchema>>;

export type ClientMessage =
  | { kind: 'announce'; message: AnnounceRequest }
  | { kind: 'answer'; message: AnswerRequest }
  | { kind: 'scrape'; message: ScrapeRequest };

export interface SessionDescription {
  type: string;
  sdp: string;
}

export interface AnnounceResponse {
  action: 'announce';
  interval: number;
  info_hash: string;
  complete: number;
  incomplete: number;
}

export interface RelayedOffer {
  action: 'announce';
  offer: SessionDescription;
  offer_id: string;
  peer_id: string;
  info_hash: string;
}

export interface RelayedAnswer {
  action: 'announce';
  answer: SessionDescription;
  offer_id: string;
  peer_id: string;
  info_hash: string;
}

export interface ScrapeFile {
  complete: number;
  incomplete: number;
  downloaded: number;
}

export interface ScrapeResponse {
  action: 'scrape';
  files: Record<string, ScrapeFile>;
  flags: { min_request_interval: number };
}

export interface FailureResponse {
  action: 'announce' | 'scrape';
  'failure reason': string;
  info_hash?: string;
}

export interface ProtocolLimits {
  maxOffers: number;
  maxScrapeHashes: number;
}

export type ParseResult =
  | { ok: true; value: ClientMessage }
  | { ok: false; code: 'invalid_json' | 'invalid_message' | 'too_many_offers'; reason: string; action?: 'announce' | 'scrape'; infoHash?: string };

/** The first schema error as a sentence a client's developer can act on. */
export function describeError(errors: ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (!error) return 'invalid message';
  const field = error.instancePath.slice(1).replaceAll('/', '.') || 'message';
  if (error.keyword === 'required') return `${field === 'message' ? '' : field + '.'}${String(error.params['missingProperty'])} is required`;
  if (error.keyword === 'pattern') return `${field} must be a 20-character string of code points up to 0xFF`;
  return `${field} ${error.message ?? 'is invalid'}`;
}

/** Compiles one validator per message kind for the given limits. */
export function createMessageParser(limits: ProtocolLimits): (text: string) => ParseResult {
  const ajv = schemaCompiler();
  const validateAnnounce: ValidateFunction<AnnounceRequest> = ajv.compile(announceRequestSchema(limits.maxOffers));
  const validateAnswer: ValidateFunction<AnswerRequest> = ajv.compile(answerRequestSchema);
  const validateScrape: ValidateFunction<ScrapeRequest> = ajv.compile(scrapeRequestSchema(limits.maxScrapeHashes));

  return (text) => {
    const json = parseJson(text);
    if (!json) return { ok: false, code: 'invalid_json', reason: 'message is not valid JSON' };
    const data = json.value;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { ok: false, code: 'invalid_message', reason: 'message must be a JSON object' };
    }
    const fields = data as Record<string, unknown>;
    // Echo the info_hash only when it is one a client could recognise as its own.
    const infoHash = typeof fields['info_hash'] === 'string' && fields['info_hash'].length <= 20 ? fields['info_hash'] : undefined;
    if (fields['action'] === 'announce') {
      const isAnswer = fields['answer'] !== undefined;
      const validate = isAnswer ? validateAnswer : validateAnnounce;
      if (validate(data)) {
        return { ok: true, value: isAnswer ? { kind: 'answer', message: data as AnswerRequest } : { kind: 'announce', message: data as AnnounceRequest } };
      }
      const error = validate.errors?.[0];
      const code = error?.keyword === 'maxItems' && error.instancePath === '/offers' ? 'too_many_offers' : 'invalid_message';
      return { ok: false, code, action: 'announce', infoHash, reason: `invalid ${isAnswer ? 'answer' : 'announce'}: ${describeError(validate.errors)}` };
    }
    if (fields['action'] === 'scrape') {
      if (validateScrape(data)) return { ok: true, value: { kind: 'scrape', message: data } };
      return { ok: false, code: 'invalid_message', action: 'scrape', reason: `invalid scrape: ${describeError(validateScrape.errors)}` };
    }
    return { ok: false, code: 'invalid_message', infoHash, reason: 'action must be "announce" or "scrape"' };
  };
}

/**
 * A failure reason always carries an action: clients drop the socket on a reply without a known
 * one, and a bad message must not cost the peer its other swarms on that socket.
 */
export function failure(reason: string, action: 'announce' | 'scrape' = 'announce', infoHash?: string): string {
  const response: FailureResponse = { action, 'failure reason': reason };
  if (infoHash !== undefined) response.info_hash = infoHash;
  return JSON.stringify(response);
}
