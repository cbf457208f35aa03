/**
 * `GET /coordination?info_hash=…&peer_id=…`: where a viewer stands in its swarm's seeding order for
 * the current slot. The player SDK polls it for each swarm it is in and applies the policy: the
 * first `seeders` members fetch each new segment from the origin at once, the next ones are backups
 * with staggered deadlines, everyone else waits for the mesh. p2p-media-loader and
 * bittorrent-tracker clients never call it; the WebSocket protocol is unchanged.
 *
 * A backup that had to fetch a segment itself adds `missed=<count>&peer_secret=<its secret>`: the
 * seeders did not seed (left, stalled, or lie), so for the rest of the slot every instance passes
 * over them: the order turns by `seeders` places, the backups seed and the old seeders go last.
 * Only a backup of the slot, proving its peer_id, is heard, and once a slot: anyone else could
 * otherwise walk the seeding ranks down the order.
 *
 * The WebSocket's access rules apply (ALLOWED_ORIGINS, TRACKER_AUTH tokens as `?token=` or
 * `Authorization: Bearer`, ALLOWED_INFO_HASHES); CORS-open like the telemetry collector otherwise;
 * per-address rate limit (429, checked before anything else is done); every answer counted in
 * `swarmcast_coordination_requests_total{outcome}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { describeError, ID_PATTERN } from '@swarmcast/protocol/wire';
import type { CellDirectory } from '../cells/cell-directory.ts';
import { cellChain, cellId, cellKeys } from '../cells/cell-map.ts';
import type { TrackerConfig } from '../config.ts';
import { preinitialise } from '../metrics.ts';
import type { SwarmStore } from '../store/store.ts';
import type { SwarmAccess } from '../swarm-access.ts';
import { AddressRateLimiter } from '../telemetry/rate-limit.ts';
import { SeedingOrderCache, type SlotOrder } from './order-cache.ts';
import { ReportWriter } from './member-reports.ts';
import { packReport, seedersFor, type MeshEstimate } from '@swarmcast/protocol/mesh-capacity';
import { slotAt } from '@swarmcast/protocol/seeding-order';
import { BACKUPS, coordinationAnswerSchema, MISSED_PARAMETER, REPORT_LIMITS, REPORT_PARAMETERS, type CoordinationAnswer } from '@swarmcast/protocol/coordination';
import { isPeerSecret, PEER_SECRET_PARAMETER, provenSuffix, provesPeerId } from '@swarmcast/protocol/peer-proof';

const COORDINATION_OUTCOMES = [
  'member',
  'seeders_passed_over',
  'not_member',
  'unknown_swarm',
  'invalid_request',
  'origin_not_allowed',
  'unauthorized',
  'info_hash_not_allowed',
  'rate_limited',
  'disabled',
  'store_unavailable',
] as const;

export type CoordinationOutcome = (typeof COORDINATION_OUTCOMES)[number];

export interface CoordinationOptions {
  config: TrackerConfig;
  store: SwarmStore;
  /** The streams' cell counts, shared with the WebSocket side. */
  cells: CellDirectory;
  access: SwarmAccess;
  registry: Registry;
}

interface CoordinationQuery {
  info_hash: string;
  peer_id: string;
  token?: string;
  missed?: number;
  peer_secret?: string;
  uplink_kbit?: number;
  uploads?: 0 | 1;
  connected?: 0 | 1;
  segment_bytes?: number;
  budget_ms?: number;
}

/**
 * Cells looked in for a member: where its two keys hash, then where they hashed at smaller counts
 * (a member moves on its next announce). Each chain is ~ln(cells) long; this bounds what a request
 * about a peer_id that is nowhere can cost.
 */
const MAX_CELLS_SEARCHED = 12;

interface Place {
  cell: string;
  order: SlotOrder;
  size: number;
  /** Its place in the cell's order, if it is a member. */
  place: number | undefined;
}

/** A count of segments no backup reaches within one slot; more is not a player. */
const MAX_MISSED = 1000;

const id = { type: 'string', pattern: ID_PATTERN } as const;
const schema = {
  querystring: {
    type: 'object',
    required: ['info_hash', 'peer_id'],
    properties: {
      info_hash: id,
      peer_id: id,
      token: { type: 'string' },
      [MISSED_PARAMETER]: { type: 'integer', minimum: 1, maximum: MAX_MISSED },
      [PEER_SECRET_PARAMETER]: { type: 'string' },
      [REPORT_PARAMETERS.uplinkKbit]: { type: 'integer', ...REPORT_LIMITS.uplinkKbit },
      [REPORT_PARAMETERS.uploads]: { type: 'integer', enum: [0, 1] },
      [REPORT_PARAMETERS.connected]: { type: 'integer', enum: [0, 1] },
      [REPORT_PARAMETERS.segmentBytes]: { type: 'integer', ...REPORT_LIMITS.segmentBytes },
      [REPORT_PARAMETERS.budgetMs]: { type: 'integer', ...REPORT_LIMITS.budgetMs },
    },
  },
  response: { 200: coordinationAnswerSchema },
} as const;

/** The token as the origin takes it too: a Bearer header (kept out of URLs and logs) or `?token=`. */
function tokenOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  const token = (request.query as Record<string, unknown>)['token'];
  return typeof token === 'string' ? token : undefined;
}

export async function coordinationRoutes(app: FastifyInstance, options: CoordinationOptions): Promise<void> {
  const { config, store, access } = options;
  const limiter = new AddressRateLimiter(config.coordinationRequestsPerMinute);
  const seedersOf = (swarmSize: number, mesh: MeshEstimate | null) => seedersFor(swarmSize, mesh, config.coordinationViewersPerSeeder);
  const trackerSecret = await store.coordinationSecret();
  const cache = new SeedingOrderCache(store, trackerSecret, seedersOf);
  const reports = new ReportWriter(store);
  /** Where `peerId` stands in one cell's order for `slot`. */
  const placeIn = async (cell: string, peerId: string, slot: number, now: number): Promise<Place> => {
    const order = await cache.order(cell, slot, now);
    let { size } = order;
    let place = order.ranks.get(peerId);
    if (place === undefined && size > 0) {
      // Beyond the members read (a relay), or joined since the read: its own place, behind theirs.
      const found = await store.ringPlace(cell, peerId, order.from);
      size = found.size;
      if (found.place !== null) place = Math.max(order.ranks.size, found.place);
    }
    return { cell, order, size, place };
  };
  /** The member's cell and place; a peer_id that is in none gets the cell it would join. */
  const locate = async (infoHash: string, peerId: string, slot: number, now: number): Promise<Place> => {
    const cells = await options.cells.count(infoHash, now);
    const chains = cellKeys(trackerSecret, peerId).map((key) => cellChain(key, cells));
    const heads = chains.map((chain) => chain.at(-1)!);
    const earlier = chains.flatMap((chain) => chain.slice(0, -1).reverse());
    const candidates = [...new Set([...heads, ...earlier])].slice(0, MAX_CELLS_SEARCHED);
    const first = await placeIn(cellId(infoHash, candidates[0]!), peerId, slot, now);
    if (first.place !== undefined) return first;
    for (const number of candidates.slice(1)) {
      const found = await placeIn(cellId(infoHash, number), peerId, slot, now);
      if (found.place !== undefined) return found;
    }
    return first;
  };
  const requests = preinitialise(
    new Counter({ name: 'swarmcast_coordination_requests_total', help: 'Seeding coordination requests, by outcome', labelNames: ['outcome'], registers: [options.registry] }),
    'outcome',
    COORDINATION_OUTCOMES,
  );
  const refuse = (reply: FastifyReply, status: number, outcome: CoordinationOutcome, reason: string) => {
    requests.inc({ outcome });
    return reply.code(status).send({ 'failure reason': reason });
  };

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    const originRefusal = access.originRefusal(origin);
    // Ranks change every slot and per peer: no cache may answer for the tracker.
    reply.header('cache-control', 'no-store');
    if (!access.restrictsOrigins) reply.header('access-control-allow-origin', '*');
    else {
      reply.header('vary', 'origin');
      if (origin !== undefined && originRefusal === undefined) reply.header('access-control-allow-origin', origin);
    }
    if (config.coordination === 'off') return refuse(reply, 404, 'disabled', 'seeding coordination is off on this tracker (COORDINATION=off)');
    if (originRefusal !== undefined) return refuse(reply, 403, 'origin_not_allowed', originRefusal);
    if (request.method !== 'OPTIONS' && !limiter.take(request.ip, Date.now())) {
      return refuse(
        reply.header('retry-after', '10'),
        429,
        'rate_limited',
        `at most ${config.coordinationRequestsPerMinute} coordination requests per minute per address`,
      );
    }
  });

  // A Bearer token makes the SDK's GET a non-simple request: browsers ask first.
  app.options('/coordination', async (_request, reply) =>
    reply
      .header('access-control-allow-methods', 'GET, OPTIONS')
      .header('access-control-allow-headers', 'authorization')
      .header('access-control-max-age', '86400')
      .code(204)
      .send(),
  );

  app.get<{ Querystring: CoordinationQuery }>('/coordination', { schema, attachValidation: true }, async (request, reply) => {
    const admission = access.admit(tokenOf(request), request.ip);
    if (!admission.ok) return refuse(reply, admission.status, admission.status === 429 ? 'rate_limited' : 'unauthorized', admission.reason);
    if (request.validationError) return refuse(reply, 400, 'invalid_request', describeError(request.validationError.validation));
    const { info_hash: infoHash, peer_id: peerId, missed, peer_secret: secret } = request.query;
    const proven = secret !== undefined && isPeerSecret(secret) && provesPeerId(provenSuffix(secret), peerId);
    if (missed !== undefined && !proven) {
      return refuse(reply, 403, 'invalid_request', `${MISSED_PARAMETER} needs the ${PEER_SECRET_PARAMETER} that proves peer_id`);
    }
    const { uplink_kbit: uplinkKbit, uploads, connected, segment_bytes: segmentBytes, budget_ms: budgetMs } = request.query;
    const reported = [uplinkKbit, uploads, connected, segmentBytes, budgetMs].some((value) => value !== undefined);
    // Anyone can learn a viewer's peer_id from its offers: only the viewer may say what it can do.
    if (reported && !proven) return refuse(reply, 403, 'invalid_request', `a report needs the ${PEER_SECRET_PARAMETER} that proves peer_id`);
    const swarmRefusal = access.swarmRefusal(infoHash, admission.grant);
    if (swarmRefusal !== undefined) return refuse(reply, 403, 'info_hash_not_allowed', swarmRefusal);

    const now = Date.now();
    const slot = slotAt(now, config.coordinationSlotMs);
    const fail = (error: unknown) => {
      request.log.warn({ err: error }, 'coordination: the swarm store failed');
      return refuse(reply, 503, 'store_unavailable', 'tracker temporarily unavailable, retry later');
    };
    let located: Place;
    try {
      located = await locate(infoHash, peerId, slot, now);
    } catch (error) {
      return fail(error);
    }
    const { cell, order, size, place } = located;
    if (place !== undefined && reported) {
      const report = packReport({
        uplinkKbit: uplinkKbit ?? null,
        uploads: uploads !== 0,
        connected: connected !== 0,
        segmentBytes: segmentBytes ?? null,
        budgetMs: budgetMs ?? null,
      });
      // The answer does not wait on it: the report counts from the next read of the order.
      reports.keep(cell, peerId, report, now).catch((error: unknown) => request.log.warn({ err: error }, 'coordination: keeping a report failed'));
    }
    const seeders = seedersOf(size, order.mesh);
    let { passedOver } = order;
    if (missed !== undefined && !passedOver && place !== undefined && place >= seeders && place < seeders + BACKUPS) {
      try {
        await store.passOver(cell, slot, 2 * config.coordinationSlotMs);
      } catch (error) {
        return fail(error);
      }
      cache.refresh(cell);
      passedOver = true;
      requests.inc({ outcome: 'seeders_passed_over' });
    }
    // Passed over: the order turns by `seeders` places, so the backups come first and the seeders last.
    const rank = place === undefined || size === 0 ? null : passedOver ? (place - seeders + size) % size : place;
    requests.inc({ outcome: size === 0 ? 'unknown_swarm' : rank === null ? 'not_member' : 'member' });
    const body: CoordinationAnswer = {
      swarm_size: size,
      seeders,
      rank,
      slot,
      slot_ms: config.coordinationSlotMs,
      next_slot_in_ms: (slot + 1) * config.coordinationSlotMs - now,
    };
    return body;
  });
}
