// `swarmcast-loadtest merge`: the results of an event's shards (`event --shard i/n`, one per load
// generator) reported as the one run they were. Each shard recorded its passes (every viewer's
// stats and origin requests, the ticks, the origin's counters); the merge joins the recordings and
// makes the report again with the event's own code, so its figures are those one machine would
// have printed. Our origin's counters are the stream's, read by every shard over the same window:
// they are taken once, from the shard that read them last, not added up (another origin's count is
// the viewers' reports, which are added up).
import { RESULT_SCHEMA_VERSION, type LoadtestResult } from '../result.ts';
import { round } from '../samples.ts';
import { egressFromViewers, WHOLE_AUDIENCE, type PassResult, type Tick } from './event-audience.ts';
import { eventOutcome, type EventRecording, type EventScenarioOptions } from './event-scenario.ts';

/** The results cannot be one run's shards; the message says why. */
export class MergeError extends Error {}

/** Tick fields that count the origin's (the same stream for every shard): the highest reading, not a sum. */
const ORIGIN_FIELDS = ['originSegmentBytes', 'originSegmentRequests'] as const satisfies ReadonlyArray<keyof Tick>;
const VIEWER_FIELDS = ['viewers', 'consumedBytes', 'httpBytes', 'p2pBytes', 'peers', 'lateSegments'] as const satisfies ReadonlyArray<keyof Tick>;

/**
 * Each second any shard sampled, with every shard's latest tick up to then (their clocks share the
 * agreed start). Origin fields are the origin's own reading when a shard read its /stats (the
 * highest of those), or else each shard's viewers' reports (a sum).
 */
function mergeTicks(passes: PassResult[], originFromStats: boolean): Tick[] {
  const seconds = [...new Set(passes.flatMap((pass) => pass.ticks.map((tick) => Math.round(tick.second))))].sort((a, b) => a - b);
  return seconds.map((second) => {
    const tick: Tick = { second, viewers: 0, originSegmentBytes: 0, originSegmentRequests: 0, consumedBytes: 0, httpBytes: 0, p2pBytes: 0, peers: 0, lateSegments: 0 };
    for (const pass of passes) {
      const latest = pass.ticks.filter((t) => Math.round(t.second) <= second).at(-1);
      if (!latest) continue;
      for (const field of VIEWER_FIELDS) tick[field] += latest[field];
      if (!originFromStats) for (const field of ORIGIN_FIELDS) tick[field] += latest[field];
      else if (pass.egressFrom === 'origin-stats') for (const field of ORIGIN_FIELDS) tick[field] = Math.max(tick[field], latest[field]);
    }
    return tick;
  });
}

/** One pass of the whole audience from its shards' passes. */
export function mergePasses(passes: PassResult[]): PassResult {
  const records = passes.flatMap((pass) => pass.records).sort((a, b) => a.joinedAtSec - b.joinedAtSec);
  // One shard that read the origin's counters has the stream's (another may have failed to reach /stats).
  const readers = passes.filter((pass) => pass.egressFrom === 'origin-stats');
  const fromStats = readers.length > 0;
  return {
    records,
    // The origin's counters only grow: the largest reading is the one taken last, after every shard's viewers.
    egress: fromStats ? readers.map((pass) => pass.egress).reduce((last, egress) => (egress.bytes > last.bytes ? egress : last)) : egressFromViewers(records),
    egressFrom: fromStats ? 'origin-stats' : 'viewer-reports',
    ticks: mergeTicks(passes, fromStats),
    failedToStart: passes.flatMap((pass) => pass.failedToStart),
    left: passes.reduce((total, pass) => total + pass.left, 0),
    joined: passes.reduce((total, pass) => total + pass.joined, 0),
    newcomers: passes.reduce((total, pass) => total + pass.newcomers, 0),
    windowSec: Math.max(...passes.map((pass) => pass.windowSec)),
  };
}

/** What must be the same for results to be shards of one event: every option but the shard's index. */
function audienceOf(options: EventScenarioOptions): string {
  return JSON.stringify({ ...options, shard: options.shard.count });
}

function recordingOf(result: LoadtestResult, name: string): EventRecording {
  if (result.scenario !== 'event') throw new MergeError(`${name}: a ${result.scenario} result; merge takes the results of event shards`);
  const recording = result.details['recording'] as EventRecording | undefined;
  if (!recording?.options?.shard || !Array.isArray(recording.passes)) throw new MergeError(`${name}: no recording of its viewers (written by a version before merge?)`);
  return recording;
}

/** The shards' results (`names` for messages, e.g. their files) as one run's. */
export function mergeShards(results: LoadtestResult[], names: string[]): LoadtestResult {
  if (results.length === 0) throw new MergeError('no results to merge');
  const recordings = results.map((result, i) => recordingOf(result, names[i]!));
  const first = recordings[0]!;
  const { count } = first.options.shard;
  recordings.forEach((recording, i) => {
    if (audienceOf(recording.options) !== audienceOf(first.options)) throw new MergeError(`${names[i]}: another event than ${names[0]} (its options differ, not only its shard)`);
  });
  const indexes = recordings.map((recording) => recording.options.shard.index);
  const twice = indexes.find((index, i) => indexes.indexOf(index) !== i);
  if (twice !== undefined) throw new MergeError(`shard ${twice}/${count} given twice`);
  const missing = [...Array(count).keys()].filter((index) => !indexes.includes(index));
  if (missing.length > 0) throw new MergeError(`shard(s) ${missing.map((index) => `${index}/${count}`).join(', ')} missing: the merge would not be the whole audience`);

  const passCount = Math.min(...recordings.map((recording) => recording.passes.length));
  const passes = [...Array(passCount).keys()].map((p) => mergePasses(recordings.map((recording) => recording.passes[p]!)));
  const options: EventScenarioOptions = { ...first.options, shard: WHOLE_AUDIENCE };
  const outcome = eventOutcome({ options, passes, renditionCount: first.renditionCount, stream: first.stream });
  const byIndex = results.map((result, i) => ({ result, index: indexes[i]! })).sort((a, b) => a.index - b.index);
  const shardMetric = (result: LoadtestResult, name: string) => result.metrics.find((m) => m.name === name && m.tags === undefined)?.value ?? 0;
  const labels = byIndex.map(({ index }) => `shard ${index}`);
  const perShard = (name: string, scale = 1) => byIndex.map(({ result }, i): [number, number] => [i, round(scale * shardMetric(result, name), 2)]);
  const shardFigure = {
    label: 'shards',
    value: count,
    meaning: `load generators, merged: ${byIndex.map(({ result, index }) => `${index}: ${shardMetric(result, 'viewers')} viewers, offload ${round(100 * shardMetric(result, 'offload'))} %, ${shardMetric(result, 'late_segments')} late`).join('; ')}`,
  };
  const shardCharts = [
    { title: 'Offload per shard', unit: '%', kind: 'bar' as const, labels, series: [{ name: 'offload', points: perShard('offload', 100) }] },
    { title: 'Viewers and late segments per shard', unit: 'count', kind: 'bar' as const, labels, series: [{ name: 'viewers', points: perShard('viewers') }, { name: 'late segments', points: perShard('late_segments') }] },
  ];
  const stopped = results.flatMap((result, i) => (result.stoppedEarly ? [`shard ${indexes[i]}: ${result.stoppedEarly}`] : []));
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    scenario: 'event',
    startedAt: results.map((result) => result.startedAt).sort()[0]!,
    durationSec: round(Math.max(...results.map((result) => result.durationSec))),
    stoppedEarly: stopped.length > 0 ? stopped.join('; ') : null,
    targets: [...new Set(results.flatMap((result) => result.targets))],
    parameters: { ...results[0]!.parameters, shard: null, shards: count },
    shards: byIndex.map(({ result, index }) => ({ index, count, startedAt: result.startedAt, metrics: result.metrics })),
    ...outcome,
    figures: [...outcome.figures, shardFigure],
    charts: [...outcome.charts, ...shardCharts],
  };
}
