// A simulation as the HTML report draws a run: the event's figures, peer-first beside the HTTP-only
// control, origin egress over time and fetches per segment per rendition, and the parameters.
import type { Chart, Figure, LoadtestResult } from '../result.ts';
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
  return { scenario: 'simulate', startedAt, durationSec: options.durationSec, stoppedEarly: null, targets: [], parameters: { ...options }, figures, charts, details: { ...result } };
}
