// `event`: V virtual viewers of one live stream, each a real p2p-media-loader-core with real
// WebRTC in its own process (viewer/p2pml-viewer.ts, live mode), ramped in, for a fixed time;
// optionally each on a host of its own with a shaped link (network/), with churn, spread over the
// renditions, and followed by the same audience over HTTP only (--compare http-only). The origin's
// egress comes from its /stats (read before and after each pass); every origin request also comes with the
// viewer's reason for it, so the report says where each origin byte came from.
import type { PolicyName } from '@swarmcast/player-sdk/policy';
import { fetchText, parseMediaPlaylist } from '../hls-playlists.ts';
import { parseMasterPlaylist } from '../master-playlist.ts';
import { NETWORK_PROFILES, type NetworkName } from '../network/profiles.ts';
import { TestNetwork } from '../network/test-hosts.ts';
import type { Progress } from '../progress.ts';
import type { Chart, Figure, ScenarioOutcome } from '../result.ts';
import type { RunBudget } from '../run-budget.ts';
import { percentiles, round, sum } from '../samples.ts';
import { FETCH_REASONS } from '../viewer/fetch-reason.ts';
import { BrowserFleet } from '../viewer/browser-viewer.ts';
import { startPageServer, type PageServer } from '../viewer/browser-page.ts';
import type { LiveStats } from '../viewer/live-playback.ts';
import { analyseRendition, connectTimesSec, describeReasons, fetchesPerSegmentAfter, offloadPercent, overallFetchesPerSegment, uplinkUse, VIEWER_KINDS, type RenditionAnalysis, type ViewerKind } from './event-analysis.ts';
import { egressFromViewers, egressSourceOf, planAudience, runAudiencePass, type PassOptions, type PassResult, type Shard } from './event-audience.ts';
import { eventMetrics, type PassFigures } from './event-metrics.ts';

export interface EventScenarioOptions {
  /** Where the /stats would be: our origin, or the host of `src`. */
  origin: string;
  /** The master playlist on any HTTP(S) server (`--src`); null: our origin's live stream `stream`. */
  src: string | null;
  trackers: string[];
  stream: string;
  /** A rendition's name, or every rendition of the master playlist. */
  rendition: string | { all: true } | undefined;
  viewers: number;
  durationSec: number;
  rampSec: number;
  liveLatency: number;
  httpFallbackBuffer: number;
  policy: PolicyName;
  coordination: boolean;
  p2p: boolean;
  network: NetworkName;
  uplinkKbit?: number;
  downlinkKbit?: number;
  unreachable: number;
  cellular: number;
  /** Viewers of the audience that are real Chromium pages running the player SDK's bundle (`--browsers`). */
  browsers: number;
  churnPerMinute: number;
  compare: 'http-only' | null;
  seed: number;
  /** Which part of the audience this process runs (`--shard i/n`); the whole by default. */
  shard: Shard;
  /** The shards' agreed start, wall-clock ms (`--start-at`); null: at once. */
  startAtMs: number | null;
}

/** What `merge` needs of a run to report its shards as one: the passes as recorded, and what the report is made from. */
export interface EventRecording {
  options: EventScenarioOptions;
  passes: PassResult[];
  renditionCount: number;
  stream: { targetDuration: number; renditions: number };
}

/** Whether the viewers need hosts of their own (namespaces, links, firewalls). */
export function needsTestHosts(options: Pick<EventScenarioOptions, 'network' | 'uplinkKbit' | 'downlinkKbit' | 'unreachable'>): boolean {
  return options.network !== 'lan' || options.uplinkKbit !== undefined || options.downlinkKbit !== undefined || options.unreachable > 0;
}

const MB = 1e6;
const mb = (bytes: number) => round(bytes / MB, 2);

interface PassSummary {
  pass: PassResult;
  renditions: RenditionAnalysis[];
  finals: LiveStats[];
  totals: Record<'httpBytes' | 'p2pBytes' | 'uploadedBytes' | 'segmentBytes' | 'lateSegments' | 'stallSec' | 'segmentsLoaded' | 'segmentsFromPeers' | 'peerConnections', number>;
  /** Per viewer, seconds: to its first segment playing, to its first peer connection (not the first joiner's), and its latency at the end. */
  samples: Pick<PassFigures, 'startupSec' | 'connectSec' | 'latencySec'>;
  startup: ReturnType<typeof percentiles>;
  /** From a viewer's start to its first peer connection, over those that had someone to connect to. */
  connect: ReturnType<typeof percentiles>;
  latency: ReturnType<typeof percentiles>;
}

/**
 * The part of a pass one kind of viewer made, its origin requests counted from its own reports
 * (the origin's counters are everyone's). Recordings made before `--browsers` have no kind: virtual.
 */
function summariseKind(pass: PassResult, kind: ViewerKind): PassSummary {
  const records = pass.records.filter((record) => (record.kind ?? 'virtual') === kind);
  return summarise({ ...pass, records, egress: egressFromViewers(records), egressFrom: 'viewer-reports' });
}

const KIND_NAMES: Record<ViewerKind, string> = {
  virtual: 'virtual viewers (p2p-media-loader-core in Node)',
  browser: "real Chromium pages playing the player SDK's bundle (figures from their player.stats())",
};

function summarise(pass: PassResult): PassSummary {
  const byRendition = new Map<string, PassResult['records']>();
  for (const record of pass.records) byRendition.set(record.rendition, [...(byRendition.get(record.rendition) ?? []), record]);
  const renditions = [...byRendition].map(([name, records]) => analyseRendition(name, records, pass.egress.renditions[name]?.kinds.segment?.requests ?? 0));
  const finals = pass.records.map((r) => r.stats).filter((s): s is LiveStats => s !== undefined);
  const total = (key: keyof PassSummary['totals']) => sum(finals.map((s) => s[key] ?? 0));
  const samples = {
    startupSec: finals.map((s) => s.startupSec).filter((v): v is number => typeof v === 'number'),
    connectSec: connectTimesSec(pass.records.map((r) => ({ joinedAtSec: r.joinedAtSec, connectSec: r.stats?.connectSec }))),
    latencySec: finals.map((s) => s.latencySec).filter((v): v is number => typeof v === 'number'),
  };
  return {
    pass,
    renditions,
    finals,
    totals: {
      httpBytes: total('httpBytes'),
      p2pBytes: total('p2pBytes'),
      uploadedBytes: total('uploadedBytes'),
      segmentBytes: total('segmentBytes'),
      lateSegments: total('lateSegments'),
      stallSec: total('stallSec'),
      segmentsLoaded: total('segmentsLoaded'),
      segmentsFromPeers: total('segmentsFromPeers'),
      peerConnections: total('peerConnections'),
    },
    samples,
    startup: percentiles(samples.startupSec),
    connect: percentiles(samples.connectSec),
    latency: percentiles(samples.latencySec),
  };
}

export async function runEventScenario(options: EventScenarioOptions, budget: RunBudget, progress: Progress): Promise<ScenarioOutcome> {
  const masterUrl = options.src ?? new URL(`/live/${options.stream}/master.m3u8`, options.origin).href;
  const egressFrom = await egressSourceOf(options.origin, options.stream, budget.signal);
  const variants = parseMasterPlaylist(await fetchText(masterUrl, budget.signal), masterUrl);
  const chosen = options.rendition === undefined
    ? [0]
    : typeof options.rendition === 'string'
      ? [variants.findIndex((v) => v.name === options.rendition)]
      : variants.map((_, index) => index);
  if (chosen.some((index) => index < 0)) throw new Error(`--rendition ${String(options.rendition)}: ${masterUrl} has ${variants.map((v) => v.name).join(', ')}`);
  const plan = planAudience(chosen.map((streamIndex) => ({ variant: variants[streamIndex]!, streamIndex })), options);
  const firstVariant = variants[chosen[0]!]!;
  const { targetDuration } = parseMediaPlaylist(await fetchText(firstVariant.url, budget.signal), firstVariant.url);

  let pageServer: PageServer | null = null;
  let fleet: BrowserFleet | null = null;
  let network: TestNetwork | null = null;
  try {
    if (options.browsers > 0) {
      fleet = await BrowserFleet.create();
      pageServer = await startPageServer();
    }
    const pages = fleet && pageServer ? { fleet, url: `http://127.0.0.1:${pageServer.port}/` } : null;
    network = needsTestHosts(options) ? await TestNetwork.create() : null;
    let viewerUrl = (url: string) => url;
    if (network) {
      const gateway = network.gateway;
      const ports = [options.origin, ...options.trackers].map((target) => Number(new URL(target).port || (target.startsWith('https') || target.startsWith('wss') ? 443 : 80)));
      await network.exposeLoopbackPorts([...new Set([...ports, ...(pageServer ? [pageServer.port] : [])])]);
      // Viewers on their own hosts reach this namespace's loopback servers through the bridge.
      viewerUrl = (url: string) => {
        const parsed = new URL(url);
        parsed.hostname = gateway;
        return parsed.href;
      };
    }
    const passOptions: PassOptions = { ...options, masterUrl, viewerUrl, network, egressFrom, pages };
    const passes = [await runAudiencePass(passOptions, plan, budget, progress, options.p2p ? 'P2P' : 'HTTP only')];
    if (options.compare === 'http-only' && !budget.stopped) {
      passes.push(await runAudiencePass({ ...passOptions, p2p: false, startAtMs: null }, plan, budget, progress, 'HTTP-only control'));
    }
    return eventOutcome({ options, passes, renditionCount: variants.length, stream: { targetDuration, renditions: chosen.length } });
  } finally {
    await fleet?.close();
    await pageServer?.close();
    await network?.close();
  }
}

/** The report of a run (or of shards merged into one), from its recording; the recording goes in its details. */
export function eventOutcome(recording: EventRecording): ScenarioOutcome {
  const { options, renditionCount, stream } = recording;
  const outcome = reportOf(options, recording.passes.map(summarise), renditionCount, stream);
  return { ...outcome, details: { ...outcome.details, recording } };
}

function reportOf(options: EventScenarioOptions, passes: PassSummary[], renditionCount: number, stream: { targetDuration: number; renditions: number }): ScenarioOutcome {
  const main = passes[0]!;
  const control = passes[1];
  const { pass, totals } = main;
  const playlistBytes = (pass.egress.kinds.playlist?.bytes ?? 0) + (pass.egress.kinds.manifest?.bytes ?? 0);
  const computedBaseline = totals.segmentBytes + playlistBytes;
  const baselineBytes = control ? control.pass.egress.bytes : computedBaseline;
  const spread = percentiles(main.finals.map(offloadPercent));
  const uplinks = pass.records.map((record) => uplinkUse(record, pass.windowSec));
  const capped = uplinks.filter((u) => u.capKbit !== null);
  const renditionNames = main.renditions.map((r) => r.rendition).join(', ');
  const byViewers = pass.egressFrom === 'viewer-reports';
  const counted = byViewers ? 'segment requests the viewers reported (the origin has no /stats of ours)' : 'segment responses the origin counted';
  // Churn's newcomers join for the whole run: the steady state starts once the ramp's audience plays.
  const rampAudience = pass.records.filter((r) => r.joinedAtSec <= options.rampSec + 1);
  const steadyFromSec = Math.max(options.rampSec, ...rampAudience.map((r) => r.joinedAtSec + (r.stats?.startupSec ?? 0))) + options.liveLatency;
  const steady = fetchesPerSegmentAfter(pass.ticks, steadyFromSec, stream.targetDuration, stream.renditions);
  const where = needsTestHosts(options)
    ? `network ${options.network}${options.uplinkKbit ? `, uplink ${options.uplinkKbit} kbit/s` : ''}${options.downlinkKbit ? `, downlink ${options.downlinkKbit} kbit/s` : ''}${options.unreachable > 0 ? `, ${round(options.unreachable * 100, 0)} % unreachable` : ''}`
    : 'network lan (loopback, unshaped)';
  const churn = options.churnPerMinute > 0 ? `; churn ${options.churnPerMinute}/min: ${pass.left} left, ${pass.newcomers} joined` : '';

  // Without browsers every viewer is virtual, and the report is the one it always was.
  const kinds = options.browsers > 0 ? VIEWER_KINDS.map((kind) => ({ kind, summary: summariseKind(pass, kind) })) : [];
  const figures: Figure[] = [
    { label: 'viewers', value: pass.records.length, meaning: `${kinds.length > 0 ? `viewers that played, ${pass.records.filter((r) => r.kind === 'browser').length} of them real Chromium pages` : 'virtual viewers that played'} (of ${pass.joined} started; ${pass.failedToStart.length} failed to start), ${renditionNames} (of ${renditionCount}), joined over ${options.rampSec} s, ${where}${churn}, policy ${options.p2p ? `${options.policy}${options.policy === 'peer-first' ? `, coordination ${options.coordination ? 'on' : 'off'}` : ''}` : 'HTTP only (--no-p2p)'}` },
    { label: 'offload', value: round(offloadPercent(totals)), unit: '%', meaning: 'segment bytes the viewers got from peers, of all segment bytes they downloaded' },
    { label: 'offload per viewer', value: `${round(spread.min, 0)} / ${round(spread.p50, 0)} / ${round(spread.max, 0)}`, unit: '%', meaning: 'min / median / max over the viewers' },
    ...kinds.map(({ kind, summary }): Figure => ({
      label: `offload, ${kind} viewers`,
      value: round(offloadPercent(summary.totals)),
      unit: '%',
      meaning: `the ${summary.pass.records.length} ${KIND_NAMES[kind]}: startup p50 ${round(summary.startup.p50)} s (p95 ${round(summary.startup.p95)} s), ${summary.totals.lateSegments} late segments, ${summary.totals.segmentsLoaded} segments loaded, ${round(overallFetchesPerSegment(summary.renditions), 2)} origin fetches per segment they watched (their own reports)`,
    })),
    { label: 'origin fetches per segment', value: round(overallFetchesPerSegment(main.renditions), 2), meaning: `${counted} ÷ distinct segments the viewers watched, per rendition: ${main.renditions.map((r) => `${r.rendition} ${round(r.fetchesPerSegment, 2)} (p50 ${r.perSegment.p50}, p95 ${r.perSegment.p95}, ${r.segmentsWatched} segments)`).join('; ')}. 1 is one copy of the stream` },
    {
      label: 'origin fetches per segment after the ramp',
      value: round(steady, 2),
      meaning: `steady state: ${counted} from ${round(steadyFromSec, 0)} s (when the last viewer of the ramp started playing, plus one live latency: its first buffer is in) to the end ÷ segments published meanwhile (${stream.targetDuration} s each, ${stream.renditions} rendition(s))`,
    },
    { label: 'fetches per segment by reason', value: describeReasons(main.renditions), meaning: `why the viewers asked the origin (${FETCH_REASONS.join(', ')}), per watched segment; viewers reported ${sum(main.renditions.map((r) => r.reportedRequests))} requests, the origin counted ${sum(main.renditions.map((r) => r.originRequests))}` },
    byViewers
      ? { label: 'origin egress', value: mb(pass.egress.bytes), unit: 'MB', meaning: `segment bytes the viewers took over HTTP from ${options.src ?? options.origin}, as they report it (the origin has no /stats of ours: playlists are not counted)` }
      : { label: 'origin egress', value: mb(pass.egress.bytes), unit: 'MB', meaning: `bytes the origin sent for live/${options.stream} during the run (its /stats, read before and after): segments ${mb(pass.egress.kinds.segment?.bytes ?? 0)} MB, playlists ${mb(playlistBytes)} MB` },
    control
      ? { label: 'HTTP-only baseline', value: mb(baselineBytes), unit: 'MB', meaning: 'measured: the origin\'s egress for the same audience with P2P off (--compare http-only)' }
      : { label: 'HTTP-only baseline', value: mb(baselineBytes), unit: 'MB', meaning: 'computed: bytes of every segment each viewer played plus the playlists — what the origin would have sent without P2P (--compare http-only measures it)' },
    { label: 'egress saved', value: baselineBytes > 0 ? round(100 * (1 - pass.egress.bytes / baselineBytes)) : 0, unit: '%', meaning: '1 − origin egress ÷ baseline (negative: P2P cost the origin more than it saved)' },
    { label: 'peer connections', value: totals.peerConnections, meaning: `WebRTC connections the viewers opened (each counted at both ends); ${round(sum(main.finals.map((s) => s.peers ?? 0)) / Math.max(1, main.finals.length), 1)} per viewer open at the end` },
    { label: 'segments', value: totals.segmentsLoaded, meaning: `segments the viewers loaded, ${totals.segmentsFromPeers} of them from peers` },
    { label: 'late segments', value: totals.lateSegments, meaning: 'segments not loaded when the playhead reached them (each a stall)' },
    { label: 'stall time', value: round(totals.stallSec), unit: 's', meaning: `total over the viewers; ${round((100 * totals.stallSec) / Math.max(1, pass.records.length * pass.windowSec), 2)} % of viewing time` },
    { label: 'startup p50', value: round(main.startup.p50), unit: 's', meaning: `from a viewer's start to its first segment playing (p95 ${round(main.startup.p95)} s)` },
    { label: 'first peer connection p50', value: round(main.connect.p50), unit: 's', meaning: `from a viewer's start to its first peer connection, over ${main.connect.count} viewers that joined after the first (min ${round(main.connect.min)}, p90 ${round(main.connect.p90)} s)` },
    { label: 'live latency p50', value: round(main.latency.p50), unit: 's', meaning: `live edge − playhead at the end (target ${options.liveLatency} s)` },
    { label: 'uploaded', value: mb(totals.uploadedBytes), unit: 'MB', meaning: 'bytes the viewers sent to each other' },
  ];
  const share = percentiles(capped.map((u) => (100 * u.meanKbit) / u.capKbit!));
  if (capped.length > 0) {
    figures.push({ label: 'uplink use', value: `${round(share.p50, 0)} / ${round(share.max, 0)}`, unit: '% of cap', meaning: 'median / max over the viewers of their mean uplink rate (measured on their link) ÷ their uplink cap' });
  }
  if (control) {
    figures.push(
      { label: 'HTTP-only fetches per segment', value: round(overallFetchesPerSegment(control.renditions), 2), meaning: 'the same audience with P2P off: about one per viewer of a rendition' },
      { label: 'HTTP-only late segments', value: control.totals.lateSegments, meaning: `late segments with P2P off (P2P run: ${totals.lateSegments})` },
      { label: 'HTTP-only stall time', value: round(control.totals.stallSec), unit: 's', meaning: `stall time with P2P off (P2P run: ${round(totals.stallSec)} s)` },
      { label: 'HTTP-only startup p50', value: round(control.startup.p50), unit: 's', meaning: `startup with P2P off (P2P run: ${round(main.startup.p50)} s)` },
    );
  }

  const metrics = eventMetrics({
    main: passFigures(main),
    ...(control ? { control: passFigures(control) } : {}),
    steadyFetchesPerSegment: steady,
    baselineBytes,
    ...(capped.length > 0 ? { uplinkUse: { p50: share.p50 / 100, max: share.max / 100 } } : {}),
    byKind: kinds.map(({ kind, summary }) => ({ kind, figures: passFigures(summary) })),
  });
  return { metrics, figures, charts: [...charts(main, uplinks, control), ...kindCharts(kinds)], details: details(options, passes, uplinks, stream, kinds) };
}

function passFigures(summary: PassSummary): PassFigures {
  const { pass } = summary;
  return {
    renditions: summary.renditions,
    viewers: pass.records.length,
    failedToStart: pass.failedToStart.length,
    windowSec: pass.windowSec,
    totals: summary.totals,
    offloadPerViewer: summary.finals.map(offloadPercent),
    ...summary.samples,
    originEgressBytes: pass.egress.bytes,
    originSegmentBytes: pass.egress.kinds.segment?.bytes ?? 0,
  };
}

function charts(main: PassSummary, uplinks: ReturnType<typeof uplinkUse>[], control: PassSummary | undefined): Chart[] {
  const { ticks, records } = main.pass;
  // Rates from successive cumulative readings.
  const rate = (source: typeof ticks, value: (t: (typeof ticks)[number]) => number) => source.map((t, i) => {
    const previous = source[i - 1];
    const seconds = previous ? t.second - previous.second : t.second;
    return [t.second, round((value(t) - (previous ? value(previous) : 0)) / Math.max(seconds, 0.001) / MB, 3)] as [number, number];
  });
  const timeline = main.renditions.flatMap((r) => r.timeline);
  const labels = records.map((r) => `${r.name.replace('viewer-', '')}${r.kind === 'browser' ? ' (browser)' : ''}`);
  return [
    {
      title: 'Origin fetches per segment, by reason (x: when the segment was first fetched)',
      unit: 'fetches',
      kind: 'line',
      series: FETCH_REASONS.map((reason) => ({ name: reason, points: timeline.map((t) => [t.atSec, t[reason]] as [number, number]).sort((a, b) => a[0] - b[0]) }))
        .filter((series) => series.points.some(([, y]) => y > 0)),
    },
    {
      title: 'Origin segment egress',
      unit: 'MB/s',
      kind: 'line',
      series: [
        { name: 'origin (measured)', points: rate(ticks, (t) => t.originSegmentBytes) },
        control
          ? { name: 'HTTP-only control (measured)', points: rate(control.pass.ticks, (t) => t.originSegmentBytes) }
          : { name: 'HTTP-only (viewers\' consumption)', points: rate(ticks, (t) => t.consumedBytes) },
      ],
    },
    { title: 'Offload (cumulative)', unit: '%', kind: 'line', series: [{ name: 'from peers', points: ticks.map((t) => [t.second, round(offloadPercent(t))]) }] },
    { title: 'Viewers and connected peers', unit: 'count', kind: 'line', series: [{ name: 'viewers', points: ticks.map((t) => [t.second, t.viewers]) }, { name: 'peer connections open (both ends)', points: ticks.map((t) => [t.second, t.peers]) }, { name: 'late segments (cumulative)', points: ticks.map((t) => [t.second, t.lateSegments]) }] },
    { title: 'Offload per viewer', unit: '%', kind: 'bar', labels, series: [{ name: 'offload', points: records.map((r, i) => [i, round(r.stats ? offloadPercent(r.stats) : 0)]) }] },
    { title: 'Uplink per viewer: mean rate vs cap', unit: 'kbit/s', kind: 'bar', labels, series: [{ name: 'used (mean)', points: uplinks.map((u, i) => [i, round(u.meanKbit)]) }, ...(uplinks.some((u) => u.capKbit !== null) ? [{ name: 'cap', points: uplinks.map((u, i) => [i, u.capKbit ?? 0] as [number, number]) }] : [])] },
    { title: 'Late segments per viewer', unit: 'segments', kind: 'bar', labels, series: [{ name: 'late segments', points: records.map((r, i) => [i, r.stats?.lateSegments ?? 0]) }] },
  ];
}

function kindCharts(kinds: Array<{ kind: ViewerKind; summary: PassSummary }>): Chart[] {
  if (kinds.length === 0) return [];
  const labels = kinds.map(({ kind }) => kind);
  return [
    { title: 'Offload by kind of viewer', unit: '%', kind: 'bar', labels, series: [{ name: 'offload', points: kinds.map(({ summary }, i) => [i, round(offloadPercent(summary.totals))]) }] },
    {
      title: 'Startup by kind of viewer',
      unit: 's',
      kind: 'bar',
      labels,
      series: [
        { name: 'p50', points: kinds.map(({ summary }, i) => [i, round(summary.startup.p50)]) },
        { name: 'p95', points: kinds.map(({ summary }, i) => [i, round(summary.startup.p95)]) },
      ],
    },
  ];
}

function details(options: EventScenarioOptions, passes: PassSummary[], uplinks: ReturnType<typeof uplinkUse>[], stream: { targetDuration: number; renditions: number }, kinds: Array<{ kind: ViewerKind; summary: PassSummary }>): Record<string, unknown> {
  const passDetails = (summary: PassSummary, withUplinks: boolean) => ({
    renditions: summary.renditions.map(({ timeline, ...rest }) => ({ ...rest, fetchesPerSegment: round(rest.fetchesPerSegment, 3), timeline })),
    originEgress: summary.pass.egress,
    originCountsFrom: summary.pass.egressFrom,
    totals: summary.totals,
    startupSec: summary.startup,
    connectSec: summary.connect,
    latencySec: summary.latency,
    failedToStart: summary.pass.failedToStart,
    churn: { left: summary.pass.left, joined: summary.pass.newcomers },
    viewers: summary.pass.records.map((record, i) => ({
      viewer: record.name,
      rendition: record.rendition,
      kind: record.kind ?? 'virtual',
      link: record.link,
      unreachable: record.unreachable,
      cellular: record.cellular,
      joinedAtSec: record.joinedAtSec,
      leftAtSec: record.leftAtSec,
      offloadPercent: round(record.stats ? offloadPercent(record.stats) : 0),
      ...(withUplinks ? { uplink: { ...uplinks[i], burstBytes: record.burstBytes } } : {}),
      ...record.stats,
      ...(record.playerStats ? { playerStats: record.playerStats } : {}),
    })),
    timeline: summary.pass.ticks,
  });
  return {
    network: { name: options.network, ...(options.network === 'lan' ? {} : { profile: NETWORK_PROFILES[options.network] }) },
    stream: { segmentSec: stream.targetDuration, renditions: stream.renditions },
    fetchReasons: 'startup: before playback began; peer-failed: a peer started the segment and HTTP finished it; no-peers: no peer connected; seed: beyond the HTTP window (p2p-media-loader\'s random loader); deadline: the HTTP window reached it before a peer delivered',
    ...passDetails(passes[0]!, true),
    ...(kinds.length > 0
      ? {
          byKind: Object.fromEntries(kinds.map(({ kind, summary }) => [kind, {
            viewers: summary.pass.records.length,
            offloadPercent: round(offloadPercent(summary.totals)),
            fetchesPerSegment: round(overallFetchesPerSegment(summary.renditions), 3),
            totals: summary.totals,
            startupSec: summary.startup,
            connectSec: summary.connect,
            latencySec: summary.latency,
          }])),
        }
      : {}),
    ...(passes[1] ? { httpOnlyControl: passDetails(passes[1], false) } : {}),
  };
}
