/**
 * The WebTorrent tracker wire protocol as bittorrent-tracker's WebSocket server and
 * p2p-media-loader-core 2.3.x speak it: the single source of truth for message shapes.
 * Ids (info_hash, peer_id, offer_id) are 20-character "binary" strings: code points 0–0xFF.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export type AnnounceEvent = 'started' | 'stopped' | 'completed' | 'paused' | 'update';

export interface SessionDescription {
  type: string;
  sdp: string;
}

export interface Offer {
  offer_id: string;
  offer: SessionDescription;
}

/** A peer joining, refreshing or leaving a swarm, optionally with WebRTC offers for others. */
export interface AnnounceRequest {
  action: 'announce';
  info_hash: string;
  peer_id: string;
  event?: AnnounceEvent;
  numwant?: number;
  uploaded?: number | null;
  downloaded?: number | null;
  left?: number | null;
  offers?: Offer[];
  trackerid?: string;
}

/** A peer's answer to an offer it was relayed; sent as an announce with `answer`. */
export interface AnswerRequest {
  action: 'announce';
  info_hash: string;
  peer_id: string;
  to_peer_id: string;
  offer_id: string;
  answer: SessionDescription;
  trackerid?: string;
}

export interface ScrapeRequest {
  action: 'scrape';
  info_hash?: string | string[];
}

export type ClientMessage =
  | { kind: 'announce'; message: AnnounceRequest }
  | { kind: 'answer'; message: AnswerRequest }
  | { kind: 'scrape'; message: ScrapeRequest };

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

/** The longest SDP accepted; real ones are 0.5–3 KB. */
export const MAX_SDP_LENGTH = 16 * 1024;
/** Ids are exactly 20 characters, each a code point up to 0xFF (a byte string in latin1). */
export const ID_PATTERN = '^[\\u0000-\\u00ff]{20}$';

const id = { type: 'string', pattern: ID_PATTERN } as const;
const count = { type: ['number', 'null'], minimum: 0 } as const;
const sessionDescription = (type: string) =>
  ({
    type: 'object',
    required: ['type', 'sdp'],
    properties: { type: { const: type }, sdp: { type: 'string', maxLength: MAX_SDP_LENGTH } },
    additionalProperties: false,
  }) as const;
const trackerid = { type: 'string', maxLength: 64 } as const;

function announceSchema(maxOffers: number) {
  return {
    type: 'object',
    required: ['action', 'info_hash', 'peer_id'],
    properties: {
      action: { const: 'announce' },
      info_hash: id,
      peer_id: id,
      event: { enum: ['started', 'stopped', 'completed', 'paused', 'update'] },
      numwant: { type: 'integer', minimum: 0, maximum: 1000 },
      uploaded: count,
      downloaded: count,
      left: count,
      trackerid,
      offers: {
        type: 'array',
        maxItems: maxOffers,
        items: {
          type: 'object',
          required: ['offer_id', 'offer'],
          properties: { offer_id: id, offer: sessionDescription('offer') },
          additionalProperties: false,
        },
      },
    },
  };
}

const answerSchema = {
  type: 'object',
  required: ['action', 'info_hash', 'peer_id', 'to_peer_id', 'offer_id', 'answer'],
  properties: {
    action: { const: 'announce' },
    info_hash: id,
    peer_id: id,
    to_peer_id: id,
    offer_id: id,
    answer: sessionDescription('answer'),
    trackerid,
  },
};

function scrapeSchema(maxHashes: number) {
  return {
    type: 'object',
    required: ['action'],
    properties: {
      action: { const: 'scrape' },
      info_hash: { anyOf: [id, { type: 'array', items: id, maxItems: maxHashes }] },
    },
  };
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
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  const validateAnnounce: ValidateFunction<AnnounceRequest> = ajv.compile(announceSchema(limits.maxOffers));
  const validateAnswer: ValidateFunction<AnswerRequest> = ajv.compile(answerSchema);
  const validateScrape: ValidateFunction<ScrapeRequest> = ajv.compile(scrapeSchema(limits.maxScrapeHashes));

  return (text) => {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { ok: false, code: 'invalid_json', reason: 'message is not valid JSON' };
    }
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
