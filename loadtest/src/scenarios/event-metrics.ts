// The event's figures as a pipeline reads them (`Metric`: stable snake_case names, numbers in
// named units), from the same pass summaries the report's figures come from. A figure the run
// could not measure (no samples, a pass too short for a steady state) is left out.
import { metric, type Metric } from '../result.ts';
import { percentiles } from '../samples.ts';
import { fetchesPerSegmentByReason, offloadPercent, overallFetchesPerSegment, reachableFetchesPerSegment, type RenditionAnalysis, type ViewerKind } from './event-analysis.ts';

/** What one audience pass gave, as the metrics need it. */
export interface PassFigures {
  renditions: RenditionAnalysis[];
  viewers: number;
  failedToStart: number;
  /** Seconds the pass lasted (its viewing window). */
  windowSec: number;
  totals: { httpBytes: number; p2pBytes: number; uploadedBytes: number; lateSegments: number; stallSec: number; segmentsLoaded: number; segmentsFromPeers: number; peerConnections: number };
  /** Each viewer's offload, 0–100. */
  offloadPerViewer: number[];
  startupSec: number[];
  connectSec: number[];
  latencySec: number[];
  originEgressBytes: number;
  originSegmentBytes: number;
}

export interface EventMetricInputs {
  main: PassFigures;
  /** The HTTP-only control of the same audience (`--compare http-only`). */
  control?: PassFigures;
  /** Origin fetches per segment after the ramp (NaN when the pass was too short for one). */
  steadyFetchesPerSegment: number;
  /** The HTTP-only baseline the egress saved is counted against, bytes. */
  baselineBytes: number;
  /** Median and max of the viewers' mean uplink ÷ their cap, 0–1 (shaped links only). */
  uplinkUse?: { p50: number; max: number };
  /** The main pass's figures of each kind of viewer, when some were browsers (`--browsers`): metrics tagged `kind`. */
  byKind?: Array<{ kind: ViewerKind; figures: PassFigures }>;
}

type Push = (...args: Parameters<typeof metric>) => void;

function collector(): { metrics: Metric[]; push: Push } {
  const metrics: Metric[] = [];
  return { metrics, push: (...args) => metrics.push(...metric(...args)) };
}

/** One pass's metrics, named with `prefix` (`''` for the run, `http_only_` for the control). */
function passMetrics(push: Push, pass: PassFigures, prefix: string): void {
  const { totals } = pass;
  const startup = percentiles(pass.startupSec);
  push(`${prefix}fetches_per_segment`, overallFetchesPerSegment(pass.renditions), 'fetches/segment', 'segment responses the origin counted ÷ distinct segments the viewers watched, over the renditions (1 is one copy of the stream)');
  push(`${prefix}late_segments`, totals.lateSegments, 'count', 'segments not loaded when the playhead reached them (each a stall)');
  push(`${prefix}stall_time`, totals.stallSec, 's', 'stall time summed over the viewers');
  push(`${prefix}stall_ratio`, pass.viewers > 0 && pass.windowSec > 0 ? totals.stallSec / (pass.viewers * pass.windowSec) : 0, 'ratio', 'stall time ÷ viewing time (viewers × the pass)');
  push(`${prefix}startup_p50`, startup.p50, 's', "from a viewer's start to its first segment playing, median over the viewers");
  push(`${prefix}startup_p95`, startup.p95, 's', "from a viewer's start to its first segment playing, 95th percentile");
  push(`${prefix}origin_egress_bytes`, pass.originEgressBytes, 'bytes', "bytes the origin sent for the stream during the pass (its /stats)");
  if (prefix !== '') return;
  const offload = percentiles(pass.offloadPerViewer);
  const connect = percentiles(pass.connectSec);
  const latency = percentiles(pass.latencySec);
  push('viewers', pass.viewers, 'count', 'viewers that played');
  push('viewers_failed_to_start', pass.failedToStart, 'count', 'viewers started that never played');
  push('offload', offloadPercent(totals) / 100, 'ratio', 'segment bytes the viewers got from peers ÷ all segment bytes they downloaded');
  push('offload_per_viewer_min', offload.min / 100, 'ratio', "the lowest viewer's offload");
  push('offload_per_viewer_p50', offload.p50 / 100, 'ratio', "the median viewer's offload");
  push('fetches_per_segment_reachable', reachableFetchesPerSegment(pass.renditions), 'fetches/segment', "fetches per segment without unreachable viewers' own requests (they play over HTTP only): what the seeding costs");
  for (const [reason, perSegment] of Object.entries(fetchesPerSegmentByReason(pass.renditions))) {
    push('fetches_per_segment_by_reason', perSegment, 'fetches/segment', 'origin requests the viewers reported for this reason ÷ segments watched', { reason });
  }
  for (const rendition of pass.renditions) {
    const tags = { rendition: rendition.rendition };
    push('fetches_per_segment', rendition.fetchesPerSegment, 'fetches/segment', "this rendition's origin segment responses ÷ its distinct segments watched", tags);
    push('fetches_per_segment_reachable', reachableFetchesPerSegment([rendition]), 'fetches/segment', "this rendition's, without unreachable viewers' own requests", tags);
    push('viewers', rendition.viewers, 'count', "this rendition's viewers", tags);
  }
  push('origin_segment_bytes', pass.originSegmentBytes, 'bytes', 'segment bytes the origin sent during the pass');
  push('peer_connections', totals.peerConnections, 'count', 'WebRTC connections the viewers opened (each counted at both ends)');
  push('segments_loaded', totals.segmentsLoaded, 'count', 'segments the viewers loaded');
  push('segments_from_peers', totals.segmentsFromPeers, 'count', 'segments the viewers loaded from peers');
  push('uploaded_bytes', totals.uploadedBytes, 'bytes', 'bytes the viewers sent to each other');
  push('first_peer_connection_p50', connect.p50, 's', "from a viewer's start to its first peer connection, median over the viewers that joined after the first");
  push('live_latency_p50', latency.p50, 's', 'live edge − playhead at the end, median over the viewers');
}

/** One kind of viewer's part of the main pass; its origin requests are what its viewers reported. */
function kindMetrics(push: Push, pass: PassFigures, kind: ViewerKind): void {
  const tags = { kind };
  const startup = percentiles(pass.startupSec);
  push('viewers', pass.viewers, 'count', 'viewers of this kind that played', tags);
  push('offload', offloadPercent(pass.totals) / 100, 'ratio', 'segment bytes these viewers got from peers ÷ all segment bytes they downloaded', tags);
  push('startup_p50', startup.p50, 's', "from a viewer's start to its first segment playing, median over these viewers", tags);
  push('startup_p95', startup.p95, 's', "from a viewer's start to its first segment playing, 95th percentile over these viewers", tags);
  push('late_segments', pass.totals.lateSegments, 'count', 'segments not loaded when the playhead reached them (a browser: its stalls)', tags);
  push('stall_ratio', pass.viewers > 0 && pass.windowSec > 0 ? pass.totals.stallSec / (pass.viewers * pass.windowSec) : 0, 'ratio', "these viewers' stall time ÷ their viewing time", tags);
  push('fetches_per_segment', overallFetchesPerSegment(pass.renditions), 'fetches/segment', 'origin segment requests these viewers reported ÷ distinct segments they watched', tags);
  push('segments_loaded', pass.totals.segmentsLoaded, 'count', 'segments these viewers loaded', tags);
  push('first_peer_connection_p50', percentiles(pass.connectSec).p50, 's', "from a viewer's start to its first peer connection, median over these viewers", tags);
}

export function eventMetrics(inputs: EventMetricInputs): Metric[] {
  const { metrics, push } = collector();
  passMetrics(push, inputs.main, '');
  push('fetches_per_segment_steady', inputs.steadyFetchesPerSegment, 'fetches/segment', 'origin segment responses per segment published once the ramp\'s audience plays (plus one live latency) to the end');
  push('http_only_baseline_bytes', inputs.baselineBytes, 'bytes', 'what the origin sent (measured, with --compare http-only) or would have sent (computed) without P2P');
  push('egress_saved', inputs.baselineBytes > 0 ? 1 - inputs.main.originEgressBytes / inputs.baselineBytes : 0, 'ratio', '1 − origin egress ÷ the HTTP-only baseline (negative: P2P cost the origin more than it saved)');
  if (inputs.uplinkUse) {
    push('uplink_use_p50', inputs.uplinkUse.p50, 'ratio', "median over the viewers of their mean uplink rate ÷ their link's cap");
    push('uplink_use_max', inputs.uplinkUse.max, 'ratio', "highest over the viewers of their mean uplink rate ÷ their link's cap");
  }
  for (const { kind, figures } of inputs.byKind ?? []) kindMetrics(push, figures, kind);
  if (inputs.control) passMetrics(push, inputs.control, 'http_only_');
  return metrics;
}
