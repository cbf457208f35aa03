// The terminal table of a simulation: one column per rendition and one for the event, each figure
// peer-first beside the HTTP-only control of the same audience.
import { formatValue } from '../report/summary-table.ts';
import type { Delivery, SimulationResult } from './event-simulation.ts';

interface Row {
  label: string;
  unit?: string;
  pick: (delivery: Delivery) => number | null;
  /** Whether the control's figure is worth showing (its fetch reasons are all `http_only`). */
  control: boolean;
}

const ROWS: Row[] = [
  { label: 'origin fetches per segment', pick: (d) => d.fetches_per_segment, control: true },
  { label: '  without unreachable viewers\' own', pick: (d) => d.fetches_per_segment_reachable, control: false },
  { label: '  seed', pick: (d) => d.fetches_per_segment_by_reason.seed, control: false },
  { label: '  backup', pick: (d) => d.fetches_per_segment_by_reason.backup, control: false },
  { label: '  floor (relays\' deadline)', pick: (d) => d.fetches_per_segment_by_reason.floor, control: false },
  { label: '  unreachable', pick: (d) => d.fetches_per_segment_by_reason.unreachable, control: false },
  { label: '  startup (joiners\' first buffer)', pick: (d) => d.fetches_per_segment_by_reason.startup, control: false },
  { label: 'offload', unit: '%', pick: (d) => d.offload_pct, control: false },
  { label: 'late segments', pick: (d) => d.late_segments, control: true },
  { label: 'stall time', unit: '% of watch', pick: (d) => d.stall_pct_of_watch_time, control: true },
  { label: 'startup p50 (joiners)', unit: 'ms', pick: (d) => d.startup_p50_ms, control: true },
  { label: 'uplink use (uploaders)', unit: '%', pick: (d) => d.uplink_use_pct, control: false },
  { label: 'origin egress peak', unit: 'Gbit/s', pick: (d) => d.origin_gbit_s_peak, control: true },
  { label: 'origin egress mean', unit: 'Gbit/s', pick: (d) => d.origin_gbit_s_mean, control: true },
  { label: 'origin egress', unit: 'GB', pick: (d) => d.origin_gb, control: true },
  { label: 'origin cost', unit: 'USD', pick: (d) => d.origin_cost_usd, control: true },
];

export function formatSimulation(result: SimulationResult, pricePerGb: number): string {
  const columns = [
    ...result.renditions.map((rendition) => ({ head: `${rendition.bitrate_kbit}k`, p2p: rendition.p2p, control: rendition.http_only })),
    ...(result.renditions.length > 1 ? [{ head: 'event', p2p: result.total.p2p, control: result.total.http_only }] : []),
  ];
  const cell = (value: number | null, unit?: string) => (value === null ? 'n/a' : formatValue(value, unit));
  const body = ROWS.map((row) => [
    row.unit ? `${row.label} (${row.unit})` : row.label,
    ...columns.map((column) => (row.control ? `${cell(row.pick(column.p2p))} | ${cell(row.pick(column.control))}` : cell(row.pick(column.p2p)))),
  ]);
  const setup = [
    ['viewers', ...result.renditions.map((r) => formatValue(r.viewers))],
    ['cells × members', ...result.renditions.map((r) => `${r.cells} × ${formatValue(r.cell_members)}`)],
    ['seeders per cell (mean)', ...result.renditions.map((r) => formatValue(r.seeders_per_cell))],
    ['mesh reach (first estimate)', ...result.renditions.map((r) => cell(r.mesh_reach))],
  ];
  const table = [['', ...columns.map((column) => column.head)], ...setup, ...body];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => (line[i] ?? '').length)));
  const lines = table.map((line) => line.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  '));
  return [
    `simulate: ${result.segments} segments; figures are peer-first | HTTP-only control; origin cost at ${pricePerGb} USD per GB (10^9 bytes)`,
    ...lines,
  ].join('\n');
}
