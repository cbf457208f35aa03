// A simulation as a run's result: the event's figures and metrics, peer-first beside the HTTP-only
// control, origin egress over time and fetches per segment per rendition, and the parameters.
import { metric, RESULT_SCHEMA_VERSION, type Chart, type Figure, type LoadtestResult, type Metric } from '../result.ts';
import { round } from '../samples.ts';
import type { Delivery, SimulationOptions, SimulationResult } from './event-simulation.ts';

export function simulationReport(result: SimulationResult, options: SimulationOptions, startedAt: string): LoadtestResult {
  const { p2p, http_only: control } = result.total;
  const pair = (label: string, unit: string | undefined, pick: (delivery: Delivery) => number | null, meaning: string): Figure => ({
    label,
    value: pick(p2p) ?? 'n/a',
    ...(unit ? { unit } : {}),
    meaning: `${meaning}; HTTP-only control: ${pick(control) ?? 'n/a'}${unit ? ` ${unit}` : ''}`,
  });
  const figures: Figure[] = [
    { label: 'viewers', value: options.viewers, meaning: `over ${result.renditions.length} rendition(s): ${result.renditions.map((r) => `${r.bitrate_kbit}k ${r.viewers} in ${r.cells} cell(s), ${r.seeders_per_cell} seeders per cell`).join('; ')}` },
    pair('origin fetches per segment', undefined, (d) => d.fetches_per_segment, 'origin fetches ÷ segments watched, summed over the renditions'),
    pair('fetches per segment without unreachable viewers\' own', undefined, (d) => d.fetches_per_segment_reachable, 'what the seeding costs, apart from viewers that can only play over HTTP'),
    { label: 'offload', value: p2p.offload_pct, unit: '%', meaning: 'segment bytes from peers, of all segment bytes' },
    pair('late segments', undefined, (d) => d.late_segments, 'segments missing when the playhead reached them'),
    pair('stall time', '% of watch time', (d) => d.stall_pct_of_watch_time, 'time stalled, of time watched'),
    pair('origin egress mean', 'Gbit/s', (d) => d.origin_gbit_s_mean, 'origin bytes over the simulated time'),
    pair('origin egress peak', 'Gbit/s', (d) => d.origin_gbit_s_peak, 'highest over segment-duration windows'),
    pair('origin egress', 'GB', (d) => d.origin_gb, 'GB = 10^9 bytes, as CDNs bill'),
    pair('origin cost', 'USD', (d) => d.origin_cost_usd, `at ${options.pricePerGb} USD per GB`),
  ];
  const deliveryMetrics = (delivery: Delivery, prefix: string, tags?: Record<string, string>): Metric[] => [
    ...metric(`${prefix}fetches_per_segment`, delivery.fetches_per_segment, 'fetches/segment', 'origin fetches ÷ segments watched, summed over the renditions', tags),
    ...metric(`${prefix}fetches_per_segment_reachable`, delivery.fetches_per_segment_reachable, 'fetches/segment', "the same without unreachable viewers' own fetches", tags),
    ...metric(`${prefix}offload`, delivery.offload_pct / 100, 'ratio', 'segment bytes from peers ÷ all segment bytes', tags),
    ...metric(`${prefix}late_segments`, delivery.late_segments, 'count', 'segments missing when the playhead reached them', tags),
    ...metric(`${prefix}stall_ratio`, delivery.stall_pct_of_watch_time / 100, 'ratio', 'time stalled ÷ time watched', tags),
    ...metric(`${prefix}startup_p50`, (delivery.startup_p50_ms ?? NaN) / 1000, 's', "from a viewer's start to its first segment playing, median", tags),
    ...metric(`${prefix}origin_gbit_s_mean`, delivery.origin_gbit_s_mean, 'Gbit/s', 'origin egress over the simulated time', tags),
    ...metric(`${prefix}origin_gbit_s_peak`, delivery.origin_gbit_s_peak, 'Gbit/s', 'origin egress, highest over segment-duration windows', tags),
    ...metric(`${prefix}origin_egress_bytes`, delivery.origin_bytes, 'bytes', 'origin egress for the event', tags),
    ...metric(`${prefix}origin_cost`, delivery.origin_cost_usd, 'USD', `origin egress at ${options.pricePerGb} USD per GB (10^9 bytes)`, tags),
  ];
  const metrics: Metric[] = [
    ...metric('viewers', options.viewers, 'count', 'the audience'),
    ...deliveryMetrics(p2p, ''),
    ...deliveryMetrics(control, 'http_only_'),
    ...result.renditions.flatMap((rendition) => deliveryMetrics(rendition.p2p, '', { rendition: `${rendition.bitrate_kbit}k` })),
  ];
  const seconds = (series: number[]) => series.map((gbit, window): [number, number] => [round(window * options.segmentSec, 1), gbit]);
  const charts: Chart[] = [
    { title: 'Origin egress (x: simulated seconds)', unit: 'Gbit/s', kind: 'line', series: [{ name: 'peer-first', points: seconds(p2p.origin_gbit_s_series) }, { name: 'HTTP-only', points: seconds(control.origin_gbit_s_series) }] },
    {
      title: 'Origin fetches per segment, by rendition',
      unit: 'fetches',
      kind: 'bar',
      labels: result.renditions.map((r) => `${r.bitrate_kbit}k`),
      series: [{ name: 'peer-first', points: result.renditions.map((r, i): [number, number] => [i, r.p2p.fetches_per_segment]) }],
    },
  ];
  return { schemaVersion: RESULT_SCHEMA_VERSION, scenario: 'simulate', startedAt, durationSec: options.durationSec, stoppedEarly: null, targets: [], parameters: { ...options }, metrics, figures, charts, details: { ...result } };
}
