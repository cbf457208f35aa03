// One cell of one rendition's swarm, event by event: each new segment appears at the live edge;
// each viewer's role (the tracker's seedingOrder and seedersFor over the members' reports) and the
// player's planner decide when it gives up on the mesh and fetches from the origin; every viewer
// that holds a segment and uploads serves its neighbours one at a time over its uplink. A segment
// not held when the playhead reaches it is late, and playback stalls for as long as it is missing.
import { BACKUPS } from '@swarmcast/protocol/coordination';
import { estimateMesh, HOP_OVERHEAD_MS, seedersFor, seedingClass, type MemberReport } from '@swarmcast/protocol/mesh-capacity';
import { MAX_SEEDING_WINDOW, seedingOrder, seedingWindow, takingTurns, turnDraw } from '@swarmcast/protocol/seeding-order';
import { LIVE_LATENCY_SLACK_SEC, STALL_MEMORY_MS } from '@swarmcast/player-sdk/policy';
import { drawLink, UNLIMITED_KBIT, type NetworkName } from '../network/profiles.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';
import type { RoleKind, RoleWindows } from './role-windows.ts';

export const FETCH_REASONS = ['seed', 'backup', 'floor', 'unreachable', 'startup', 'http_only'] as const;
export type FetchReason = (typeof FETCH_REASONS)[number];

/**
 * Connections each viewer opens to random members of its cell; it accepts as many, so it has about
 * twice this many neighbours: p2p-media-loader connects to a few dozen at most.
 */
export const NEIGHBOURS_OPENED = 10;
/**
 * By default a joiner's first data channel opens this long after it joins (tracker round trips,
 * ICE, DTLS over the internet), uniform between the two; a rehearsal measures its own (calibration.ts).
 */
export const CONNECT_MS: readonly [number, number] = [1000, 3000];

/** How long a joiner's first data channel takes, ms: uniform in a range, or one of the times a rehearsal measured. */
export type ConnectTimes = { range: readonly [number, number] } | { measured: readonly number[] };

const drawConnect = (times: ConnectTimes, random: () => number): number =>
  'range' in times ? times.range[0] + random() * (times.range[1] - times.range[0]) : times.measured[Math.floor(random() * times.measured.length)]!;
/** An origin (CDN edge) request's first byte. */
export const ORIGIN_FIRST_BYTE_MS = 50;
/** The tracker's default COORDINATION_SLOT_MS: the seeding order is drawn again this often. */
export const SLOT_MS = 20_000;
/** The tracker's default COORDINATION_VIEWERS_PER_SEEDER, used only when no member reports (never here). */
const VIEWERS_PER_SEEDER = 50;
/**
 * A backup that had to fetch reports it at once, and the tracker passes the slot's seeders over;
 * the other members learn their new ranks with their next poll (every POLL_MS = 5 s): on average
 * this long after.
 */
const PASS_OVER_HEARD_MS = 2500;

/** Who watches, as a rehearsal's options describe its audience: the same for an event and each of its cells. */
export interface AudienceShape {
  network: NetworkName;
  unreachable: number;
  cellular: number;
  /**
   * Seconds over which the viewers join one by one, as a rehearsal's do, once the stream has run
   * for a live latency; 0: they are watching when the simulation starts.
   */
  rampSec: number;
  /** How long a joiner's first data channel takes to open. */
  connect: ConnectTimes;
}

export interface CellSetup extends AudienceShape {
  members: number;
  segmentBytes: number;
  segmentSec: number;
  liveLatencySec: number;
  /** New segments over the simulated time. */
  segments: number;
  /** Members of this cell that leave per minute (each replaced by a newcomer), after the ramp. */
  churnPerMinute: number;
  /** The control: every viewer fetches every segment from the origin. */
  httpOnly: boolean;
  /** The audience's draws (links, kinds, neighbours, who leaves when): the same for a run and its control. */
  random: () => number;
  /** The tracker's and the planner's draws (ring order, staggers). */
  policyRandom: () => number;
  windows: RoleWindows;
  /** Called as simulated time passes, seconds. */
  onProgress?: (simulatedSec: number) => void;
}

export interface CellOutcome {
  members: number;
  fetches: Record<FetchReason, number>;
  /** Bytes the origin served, by segment-duration window of when they arrived. */
  originBytesByWindow: Float64Array;
  originBytes: number;
  peerBytes: number;
  lateSegments: number;
  stallMs: number;
  /** Segment durations played, ms: what stall time is a share of. */
  watchMs: number;
  startupMs: number[];
  uplinkBusyMs: number;
  /** Time uploading members were present, ms. */
  uplinkPresentMs: number;
  /** Mean seeders over the slots. */
  seeders: number;
  /** Distinct segments the members played (a ramp's first joiners start a live latency back). */
  segmentsWatched: number;
  /** What estimateMesh made of the members' reports the first time there were enough. */
  reach: number | null;
}

const APPEAR = 0;
const DEADLINE = 1;
const ARRIVAL = 2;
const SERVE = 3;
const PULL = 4;
const LEAVE = 5;
const SLOT = 6;
const PASS_OVER = 7;
const JOIN = 8;
const ROLES = 9;

const ROLE_RELAY = 0;
const ROLE_SEEDER = 1;
const ROLE_BACKUP = 2;
const ROLE_ALONE = 2 + BACKUPS;

/** 0..length-1 in an order drawn with `draw` (Fisher–Yates). */
function shuffled(length: number, draw: () => number): number[] {
  const order = Array.from({ length }, (_, v) => v);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(draw() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function simulateCell(setup: CellSetup): CellOutcome {
  const { members: n, random, policyRandom, windows } = setup;
  const segmentMs = setup.segmentSec * 1000;
  const latencyMs = setup.liveLatencySec * 1000;
  const segmentBits = setup.segmentBytes * 8;
  // With a ramp, the stream has run for a live latency (and a segment) before the first viewer joins.
  const preRoll = setup.rampSec > 0 ? Math.ceil(setup.liveLatencySec / setup.segmentSec) + 1 : 0;
  const segments = setup.segments + preRoll;
  const startMs = preRoll * segmentMs;
  const endMs = segments * segmentMs;
  // Segments a viewer keeps state for: all that can still be ahead of its playhead, however late it plays.
  const ring = Math.ceil((setup.liveLatencySec + LIVE_LATENCY_SLACK_SEC) / setup.segmentSec) + 4;
  const joinWaitMs = windows.joinWaitMs();
  const budgetMs = windows.budgetMs();

  const generation = new Int32Array(n);
  const uplink = new Float64Array(n);
  /** The tracker's ring key of each viewer (secret, uniform), and of the slots: who seeds when. */
  const memberKey = new Float64Array(n);
  const slotSeed = Math.floor(policyRandom() * 2 ** 32);
  const downlink = new Float64Array(n);
  const reachable = new Uint8Array(n);
  const uploads = new Uint8Array(n);
  const phase = new Float64Array(n);
  const joinedAt = new Float64Array(n).fill(-Infinity);
  const connectedAt = new Float64Array(n);
  const lag = new Float64Array(n);
  const lastStall = new Float64Array(n).fill(-Infinity);
  const present = new Uint8Array(n).fill(setup.rampSec > 0 ? 0 : 1);
  const started = new Uint8Array(n).fill(1);
  const firstSegment = new Int32Array(n);
  const joinEdge = new Int32Array(n).fill(-1);
  const busyUntil = new Float64Array(n);
  const hasUploaded = new Uint8Array(n);
  const role = new Uint8Array(n);
  const held = new Int32Array(n * ring).fill(-1);
  const inFlight = new Int32Array(n * ring).fill(-1);
  const deadline = new Float64Array(n * ring);
  const reason = new Uint8Array(n * ring);
  /** When a peer's copy in flight will have arrived. */
  const peerDueAt = new Float64Array(n * ring);
  /** The segment each place is fetching or fetched from the origin (a peer's copy arriving after that is dropped). */
  const originFor = new Int32Array(n * ring).fill(-1);

  const outcome: CellOutcome = {
    members: n,
    fetches: Object.fromEntries(FETCH_REASONS.map((name) => [name, 0])) as Record<FetchReason, number>,
    originBytesByWindow: new Float64Array(segments + ring),
    originBytes: 0,
    peerBytes: 0,
    lateSegments: 0,
    stallMs: 0,
    watchMs: 0,
    startupMs: [],
    uplinkBusyMs: 0,
    uplinkPresentMs: 0,
    seeders: 0,
    reach: null,
    segmentsWatched: 0,
  };
  let slots = 0;
  let slotOrder: number[] = [];
  let slotSeeders = 0;
  let passedOver = false;

  // Exactly the audience's shares (as a rehearsal spreads them), on members drawn at random: a
  // draw per member would give a 16-member cell anywhere from 0 to 5 unreachable ones at 12.5 %.
  const places = shuffled(n, random);
  const unreachableCount = Math.round(n * setup.unreachable);
  const cellularCount = Math.round(n * setup.cellular);
  places.forEach((v, place) => {
    reachable[v] = place < unreachableCount ? 0 : 1;
    uploads[v] = place >= unreachableCount + cellularCount ? 1 : 0;
  });
  // A newcomer takes the place of one who left, with a link of its own but of the same kind
  // (reachable, cellular), in the leaver's connections: the mesh's shape stays as drawn.
  const drawViewer = (v: number, now: number) => {
    const link = drawLink(setup.network, random) ?? { uplinkKbit: UNLIMITED_KBIT, downlinkKbit: UNLIMITED_KBIT };
    uplink[v] = link.uplinkKbit;
    downlink[v] = link.downlinkKbit;
    memberKey[v] = Math.floor(random() * 2 ** 32);
    // hls.js reloads the live playlist once per segment duration, each viewer at its own moment.
    phase[v] = random() * segmentMs;
    connectedAt[v] = now === -Infinity ? -Infinity : now + drawConnect(setup.connect, random);
    // The audience at the start has been watching: its uploaders have measured their uplinks.
    hasUploaded[v] = now === -Infinity ? uploads[v]! : 0;
    busyUntil[v] = now === -Infinity ? 0 : now;
    lag[v] = 0;
    lastStall[v] = -Infinity;
    held.fill(-1, v * ring, (v + 1) * ring);
    inFlight.fill(-1, v * ring, (v + 1) * ring);
    originFor.fill(-1, v * ring, (v + 1) * ring);
  };
  for (let v = 0; v < n; v++) {
    drawViewer(v, -Infinity);
    if (present[v]) continue;
    // Not joined yet: no segment, no connection, no place in the order.
    started[v] = 0;
    firstSegment[v] = 2 ** 31 - 1;
    connectedAt[v] = Infinity;
  }

  // Each viewer opens connections to random reachable members there (at the start, or when it
  // joins over a ramp: the tracker offers members present); connections go both ways.
  const lists: number[][] = Array.from({ length: n }, () => []);
  const openConnections = (v: number, candidates: number[]) => {
    const wanted = Math.min(NEIGHBOURS_OPENED, candidates.length - (present[v] ? 1 : 0));
    for (let tries = 0; lists[v]!.length < wanted && tries < 4 * wanted; tries++) {
      const u = candidates[Math.floor(random() * candidates.length)]!;
      if (u === v || lists[v]!.includes(u)) continue;
      lists[v]!.push(u);
      lists[u]!.push(v);
    }
  };
  const reachableIds = [...Array(n).keys()].filter((v) => reachable[v]);
  if (setup.rampSec === 0) for (const v of reachableIds) openConnections(v, reachableIds);

  const queue = new EventQueue();
  const event: SimEvent = { time: 0, kind: 0, viewer: 0, segment: 0, generation: 0, other: -1, otherGeneration: 0 };
  const at = (v: number, k: number) => v * ring + (k % ring);
  const playAt = (v: number, k: number) => k * segmentMs + latencyMs + lag[v]!;
  const connected = (v: number, now: number) => reachable[v] === 1 && connectedAt[v]! <= now && lists[v]!.length > 0;
  /**
   * Segment k is past every playhead (the ring holds the latency, the slack and 4 segments more)
   * once segment k + ring has appeared, and its ring slot is that one's: nobody fetches, serves or
   * keeps it any more. Only very late joiners meet it (a first connection 38 s after joining, seen
   * in a CPU-bound rehearsal, made old and new segments take each other's slot without end).
   */
  const stale = (k: number, now: number) => k + ring <= Math.floor(now / segmentMs) - 1;

  /** The order for the current slot (`slots - 1`) among the members present; `newSlot` starts the next slot. */
  const assignRoles = (newSlot: boolean, now: number) => {
    if (setup.httpOnly) return;
    const members = [...Array(n).keys()].filter((v) => present[v]).map((v) => ({ peerId: String(v), address: String(v), v }));
    if (newSlot) {
      slots++;
      passedOver = false;
    }
    if (members.length <= 1) {
      for (const { v } of members) role[v] = ROLE_ALONE;
      slotOrder = members.map(({ v }) => v);
      return;
    }
    // The tracker reads a swarm this small whole, and its members take turns; a bigger one it reads
    // from a random point of its ring, a fresh draw here.
    const whole = members.length <= seedingWindow(slotSeeders + BACKUPS);
    const read = whole ? members : shuffled(members.length, policyRandom).map((i) => members[i]!);
    const reportOf = (v: number): MemberReport => ({
      uplinkKbit: hasUploaded[v] ? uplink[v]! : null,
      // An unreachable viewer does not know it is: it says it uploads, as a reachable one does.
      uploads: reachable[v] === 0 || uploads[v] === 1,
      connected: connected(v, now),
      segmentBytes: setup.segmentBytes,
      budgetMs,
    });
    const mesh = estimateMesh(read.slice(0, MAX_SEEDING_WINDOW).map((member) => reportOf(member.v)));
    outcome.reach ??= mesh?.reach ?? null;
    const seeders = seedersFor(members.length, mesh, VIEWERS_PER_SEEDER);
    if (newSlot) outcome.seeders += seeders;
    const classOf = (member: { v: number }) => seedingClass(reportOf(member.v), mesh);
    const drawsIn = (turn: number) => {
      const slotKey = turnDraw(slotSeed, turn);
      return (member: { v: number }) => turnDraw(memberKey[member.v]!, slotKey);
    };
    slotOrder = (whole ? takingTurns(members, slots, seeders, drawsIn, classOf) : seedingOrder(read, classOf)).map(Number);
    slotSeeders = seeders;
    giveRoles(passedOver ? seeders : 0);
  };

  // Ranks turned by `turn` places (the tracker's passing over of seeders that did not seed).
  const giveRoles = (turn: number) => {
    slotOrder.forEach((v, place) => {
      const rank = (place - turn + slotOrder.length) % slotOrder.length;
      // A viewer that joined in this slot is not in the tracker's order yet: it is a relay.
      role[v] = joinedAt[v]! > -Infinity && started[v] === 0 ? ROLE_RELAY : rank < slotSeeders ? ROLE_SEEDER : rank < slotSeeders + BACKUPS ? ROLE_BACKUP + rank - slotSeeders : ROLE_RELAY;
    });
  };

  const roleKind = (v: number): [RoleKind, number] => {
    const r = role[v]!;
    if (r === ROLE_ALONE) return ['alone', 0];
    if (r === ROLE_SEEDER) return ['seeder', 0];
    if (r >= ROLE_BACKUP && r < ROLE_BACKUP + BACKUPS) return ['backup', r - ROLE_BACKUP];
    return ['relay', 0];
  };

  const schedule = (v: number, k: number, now: number, learnAt: number, backlog: boolean) => {
    const slot = at(v, k);
    let windowSec: number;
    let why: FetchReason;
    if (setup.httpOnly) {
      windowSec = Infinity;
      why = 'http_only';
    } else {
      const [kind, order] = reachable[v] ? roleKind(v) : ['relay' as const, 0];
      windowSec = windows.window(kind, order, { connected: connected(v, now), recentStall: now - lastStall[v]! < STALL_MEMORY_MS, sinceStartSec: (now - joinedAt[v]!) / 1000, random: policyRandom() });
      why = !reachable[v] ? 'unreachable' : backlog ? 'startup' : kind === 'seeder' ? 'seed' : kind === 'backup' ? 'backup' : 'floor';
    }
    const due = Math.max(learnAt, playAt(v, k) - windowSec * 1000);
    deadline[slot] = due;
    reason[slot] = FETCH_REASONS.indexOf(why);
    queue.push(due, DEADLINE, v, k, generation[v]!);
  };

  const serveNext = (h: number, k: number, now: number) => {
    if (stale(k, now)) return;
    if (busyUntil[h]! > now) {
      queue.push(busyUntil[h]!, SERVE, h, k, generation[h]!);
      return;
    }
    const list = lists[h]!;
    for (let i = 0; i < list.length; i++) {
      const u = list[(i + k) % list.length]!;
      const slot = at(u, k);
      if (connectedAt[u]! > now || held[slot] === k || inFlight[slot] === k || k < firstSegment[u]!) continue;
      transfer(h, u, k, now);
      queue.push(busyUntil[h]!, SERVE, h, k, generation[h]!);
      return;
    }
  };

  const transfer = (h: number, u: number, k: number, start: number) => {
    const ms = segmentBits / Math.min(uplink[h]!, downlink[u]!);
    busyUntil[h] = start + ms;
    outcome.uplinkBusyMs += ms;
    hasUploaded[h] = 1;
    inFlight[at(u, k)] = k;
    peerDueAt[at(u, k)] = start + ms;
    queue.push(start + ms, ARRIVAL, u, k, generation[u]!, h, generation[h]!);
  };

  const pull = (v: number, k: number, now: number) => {
    if (stale(k, now)) return;
    let best = -1;
    for (const h of lists[v]!) {
      if (uploads[h] && connectedAt[h]! <= now && held[at(h, k)] === k && (best < 0 || busyUntil[h]! < busyUntil[best]!)) best = h;
    }
    if (best >= 0) transfer(best, v, k, Math.max(now + HOP_OVERHEAD_MS, busyUntil[best]!));
  };

  const arrive = (v: number, k: number, now: number, fromOrigin: boolean) => {
    if (fromOrigin) {
      outcome.originBytes += setup.segmentBytes;
      outcome.originBytesByWindow[Math.floor(now / segmentMs)]! += setup.segmentBytes;
    } else {
      outcome.peerBytes += setup.segmentBytes;
    }
    if (stale(k, now)) return;
    const slot = at(v, k);
    held[slot] = k;
    inFlight[slot] = -1;
    if (!started[v] && k === firstSegment[v]) {
      started[v] = 1;
      outcome.startupMs.push(now - joinedAt[v]!);
      lag[v] = Math.max(0, now - (k * segmentMs + latencyMs));
    } else if (started[v] && k >= firstSegment[v]!) {
      const late = now - playAt(v, k);
      if (late > 0) {
        outcome.lateSegments++;
        outcome.stallMs += late;
        lastStall[v] = now;
        // hls.js jumps back to the live position once it has fallen this far behind.
        lag[v] = lag[v]! + late > LIVE_LATENCY_SLACK_SEC * 1000 ? 0 : lag[v]! + late;
      }
    }
    if (started[v]) outcome.watchMs += segmentMs;
    if (uploads[v] && !setup.httpOnly) queue.push(now + HOP_OVERHEAD_MS, SERVE, v, k, generation[v]!);
  };

  const join = (v: number, now: number) => {
    drawViewer(v, now);
    if (reachable[v] && lists[v]!.length === 0) openConnections(v, reachableIds.filter((u) => present[u]));
    present[v] = 1;
    joinedAt[v] = now;
    started[v] = 0;
    role[v] = slotOrder.length === 0 ? ROLE_ALONE : ROLE_RELAY;
    // hls.js starts at the segment the live position falls in and loads from there to the edge.
    firstSegment[v] = Math.max(0, Math.floor((now - latencyMs) / segmentMs));
    joinEdge[v] = Math.min(segments - 1, Math.floor(now / segmentMs) - 1);
    for (let k = firstSegment[v]!; k <= joinEdge[v]!; k++) {
      schedule(v, k, now, setup.httpOnly ? now : now + joinWaitMs, true);
      if (reachable[v] && !setup.httpOnly) queue.push(connectedAt[v]!, PULL, v, k, generation[v]!);
    }
    // The tracker ranks it at its next read of the order, and the members hear their places at their next poll.
    queue.push(now + PASS_OVER_HEARD_MS, ROLES, -1, 0, 0);
  };

  const leaveAndJoin = (now: number) => {
    const v = Math.floor(random() * n);
    outcome.uplinkPresentMs += uploads[v] ? now - Math.max(0, joinedAt[v]!) : 0;
    generation[v]!++;
    present[v] = 0;
    join(v, now);
  };

  for (let k = 0; k < segments; k++) queue.push((k + 1) * segmentMs, APPEAR, -1, k, 0);
  if (setup.rampSec > 0) for (let v = 0; v < n; v++) queue.push(startMs + (setup.rampSec * 1000 * v) / n, JOIN, v, 0, 0);
  for (let t = 0; t < endMs; t += SLOT_MS) queue.push(t, SLOT, -1, 0, 0);
  const leaveEveryMs = setup.churnPerMinute > 0 ? 60_000 / setup.churnPerMinute : Infinity;
  const nextLeave = (now: number) => now - Math.log(1 - random()) * leaveEveryMs;
  const rampEndMs = startMs + setup.rampSec * 1000;
  if (leaveEveryMs < Infinity) queue.push(nextLeave(rampEndMs), LEAVE, -1, 0, 0);

  while (queue.pop(event)) {
    const { time: now, viewer: v, segment: k } = event;
    switch (event.kind) {
      case APPEAR:
        for (let u = 0; u < n; u++) if (k >= firstSegment[u]! && k > joinEdge[u]!) schedule(u, k, now, now + phase[u]!, false);
        setup.onProgress?.(now / 1000);
        break;
      case SLOT:
        assignRoles(true, now);
        break;
      case ROLES:
        assignRoles(false, now);
        break;
      case JOIN:
        join(v, now);
        break;
      case PASS_OVER:
        // A pass-over heard after the slot changed belongs to the old order: the new one stands.
        if (passedOver) giveRoles(slotSeeders);
        break;
      case LEAVE:
        if (now < endMs) {
          leaveAndJoin(now);
          queue.push(nextLeave(now), LEAVE, -1, 0, 0);
        }
        break;
      case DEADLINE: {
        const slot = at(v, k);
        if (event.generation !== generation[v] || held[slot] === k || originFor[slot] === k || stale(k, now)) break;
        // p2p-media-loader lets a peer's download in the HTTP window finish only if it will be in
        // time for playback; otherwise it aborts it and takes the segment over HTTP.
        if (inFlight[slot] === k && peerDueAt[slot]! <= playAt(v, k)) break;
        outcome.fetches[FETCH_REASONS[reason[slot]!]!]++;
        if (FETCH_REASONS[reason[slot]!] === 'backup' && !passedOver) {
          passedOver = true;
          queue.push(now + PASS_OVER_HEARD_MS, PASS_OVER, -1, 0, 0);
        }
        inFlight[slot] = k;
        originFor[slot] = k;
        queue.push(now + ORIGIN_FIRST_BYTE_MS + segmentBits / downlink[v]!, ARRIVAL, v, k, generation[v]!);
        break;
      }
      case ARRIVAL: {
        if (event.generation !== generation[v]) break;
        const fromOrigin = event.other < 0;
        if (!fromOrigin && originFor[at(v, k)] === k) break;
        if (!fromOrigin && event.otherGeneration !== generation[event.other]) {
          // The uploader left without a word: the copy never comes. Another neighbour, or the origin at the deadline.
          const slot = at(v, k);
          inFlight[slot] = -1;
          pull(v, k, now);
          if (inFlight[slot] !== k && now >= deadline[slot]!) queue.push(now, DEADLINE, v, k, generation[v]!);
          break;
        }
        arrive(v, k, now, fromOrigin);
        break;
      }
      case SERVE:
        if (event.generation === generation[v] && connectedAt[v]! <= now) serveNext(v, k, now);
        else if (event.generation === generation[v]) queue.push(connectedAt[v]!, SERVE, v, k, event.generation);
        break;
      case PULL: {
        const slot = at(v, k);
        if (event.generation === generation[v] && held[slot] !== k && inFlight[slot] !== k) pull(v, k, now);
        break;
      }
    }
  }
  for (let v = 0; v < n; v++) outcome.uplinkPresentMs += uploads[v] ? endMs - Math.max(0, joinedAt[v]!) : 0;
  outcome.seeders = slots === 0 ? 0 : outcome.seeders / slots;
  outcome.segmentsWatched = segments - firstSegment.reduce((lowest, k) => Math.min(lowest, k));
  return outcome;
}
