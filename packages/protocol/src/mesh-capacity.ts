/**
 * How many viewers of a swarm must fetch each new segment from the origin for the mesh to bring it
 * to everyone else in time. A copy that reaches a peer is uploaded on by it, so holders multiply
 * every hop: one hop is a segment's upload time (its size over the uploader's uplink) plus the
 * time a peer takes to learn of it and ask (HOP_OVERHEAD_MS). Of the holders, the share that can
 * upload (not on cellular, upload allowed) passes it on. In the viewers' mesh budget (from the
 * segment's appearance to the last backup's deadline, reported by the players) a seeder's copy
 * reaches (1 + share)^hops viewers, so seeders = members / that.
 *
 * The inputs are what members report with their polls (`MemberReport`), taken as medians over the
 * members the tracker reads for the slot's order (a minority that lies moves none of them), and
 * bounded (REPORT_LIMITS). Without reports (older players, p2p-media-loader alone) it is one seeder per
 * `viewersPerSeeder` members, as before.
 */
import { REPORT_LIMITS } from './coordination.ts';

/** What a member reports about itself (REPORT_PARAMETERS of `GET /coordination`). */
export interface MemberReport {
  /** Upload rate it measured, kbit/s; null until it has uploaded. */
  uplinkKbit: number | null;
  /** False for a viewer that will not upload (cellular, uploads disabled). */
  uploads: boolean;
  /**
   * False while no peer is connected to it (a viewer behind a NAT no peer gets through, or one that
   * just joined): a copy it fetched would reach nobody. Not a share of the mesh (at a swarm's start
   * no one is connected yet), only a place in the order.
   */
  connected: boolean;
  /** Median size of its recent segments in this swarm, bytes. */
  segmentBytes: number | null;
  /** Its mesh budget, ms: from a segment's appearance to its last backup's deadline. */
  budgetMs: number | null;
}

/**
 * A peer learns a neighbour has a segment (its announcement), queues a request and gets the first
 * bytes: per hop on top of the transfer. A model constant, to be checked against real runs.
 */
export const HOP_OVERHEAD_MS = 200;
/** A member that has never uploaded is assumed to upload at this (a low residential uplink). */
export const ASSUMED_UPLINK_KBIT = 2000;
/** However the reports read, at least one seeder per this many members (a copy reaches a few peers at least). */
export const MIN_REACH = 4;
/**
 * A swarm this big has two seeders at least: with one, a seeder that does not seed (gone, slow,
 * unreachable) leaves the swarm to its backups, whose copies come too late for this many viewers
 * (the simulator showed such cells missing the relays' floor whole). Smaller swarms keep one.
 */
export const TWO_SEEDERS_FROM = 256;
/** Hops counted at most: past this, one seeder per swarm in any size the tracker holds. */
const MAX_HOPS = 40;

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export interface MeshEstimate {
  /** Share of members that upload. */
  uploadShare: number;
  uplinkKbit: number;
  segmentBytes: number;
  budgetMs: number;
  /** Viewers one seeder's copy reaches in the budget. */
  reach: number;
}

/** The mesh as the members read describe it; null when too few say what their segments and budget are. */
export function estimateMesh(reports: readonly (MemberReport | null)[]): MeshEstimate | null {
  const known = reports.filter((report): report is MemberReport => report !== null);
  const segmentBytes = median(known.flatMap((report) => (report.segmentBytes === null ? [] : [report.segmentBytes])));
  const budgetMs = median(known.flatMap((report) => (report.budgetMs === null ? [] : [report.budgetMs])));
  if (segmentBytes === null || budgetMs === null) return null;
  // Members that did not report (not yet polled, or unmodified clients) upload as p2p-media-loader does.
  const uploaders = reports.filter((report) => report === null || report.uploads);
  const uploadShare = reports.length === 0 ? 0 : uploaders.length / reports.length;
  const uplinkKbit = median(uploaders.flatMap((report) => (report?.uplinkKbit ? [report.uplinkKbit] : []))) ?? ASSUMED_UPLINK_KBIT;
  const hopMs = (segmentBytes * 8) / uplinkKbit + HOP_OVERHEAD_MS;
  const hops = Math.min(MAX_HOPS, Math.floor(budgetMs / hopMs));
  return { uploadShare, uplinkKbit, segmentBytes, budgetMs, reach: (1 + uploadShare) ** hops };
}

/** Seeders for a swarm of `size` members: the mesh model where there is one, else one per `viewersPerSeeder`. */
export function seedersFor(size: number, mesh: MeshEstimate | null, viewersPerSeeder: number): number {
  if (mesh === null) return Math.max(1, Math.ceil(size / viewersPerSeeder));
  return Math.max(size >= TWO_SEEDERS_FROM ? 2 : 1, Math.min(Math.ceil(size / mesh.reach), Math.ceil(size / MIN_REACH)));
}

/** A report as the store keeps it: short, and the same on every instance. */
export function packReport(report: MemberReport): string {
  return [report.uplinkKbit ?? '', report.uploads ? 1 : 0, report.segmentBytes ?? '', report.budgetMs ?? '', report.connected ? 1 : 0].join(',');
}

/**
 * A stored report; null for anything else (the store only holds what packReport wrote, but it is
 * read back from outside). Four fields are an instance's of the version before `connected`, in a
 * rolling upgrade: connected, as a member that did not say.
 */
export function unpackReport(packed: string | null | undefined): MemberReport | null {
  const fields = packed?.split(',');
  if (fields?.length !== 4 && fields?.length !== 5) return null;
  const number = (text: string, limits: { minimum: number; maximum: number }) => {
    const value = Number(text);
    return text !== '' && Number.isInteger(value) && value >= limits.minimum && value <= limits.maximum ? value : null;
  };
  return {
    uplinkKbit: number(fields[0]!, REPORT_LIMITS.uplinkKbit),
    uploads: fields[1] === '1',
    segmentBytes: number(fields[2]!, REPORT_LIMITS.segmentBytes),
    budgetMs: number(fields[3]!, REPORT_LIMITS.budgetMs),
    connected: fields[4] !== '0',
  };
}

/**
 * Where a member stands among candidates to seed, lowest first: 0, it uploads (measured fast enough
 * for the budget, or not measured yet) and has a peer connected; 1, it does not upload, or too
 * slowly, or has no peer to upload to (an unreachable viewer would fetch for nobody). Measured uploaders
 * do not go before unmeasured ones: a seeder's uploads measure it, so it would seed slot after
 * slot and carry the event alone (a 3-viewer Chromium test saw one viewer take nothing from peers).
 */
export function seedingClass(report: MemberReport | null, mesh: MeshEstimate | null): number {
  if (report === null) return 0;
  if (!report.uploads || !report.connected) return 1;
  return report.uplinkKbit === null || mesh === null || (mesh.segmentBytes * 8) / report.uplinkKbit <= mesh.budgetMs ? 0 : 1;
}
