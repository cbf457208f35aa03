/**
 * What the dashboard's stream view reads: a stream's summary plus its audience by rendition per
 * bucket, for the stacked viewers chart. The store already keeps each bucket's watch time per
 * rendition (`w:<rendition>`, see `aggregate.ts`); this only lays it out beside `series`.
 * Rendition names come from anyone's beats, so a chart shows at most `MAX_CHARTED_RENDITIONS`
 * of them (those with the most watch time in the window) and sums the rest as `OTHER_RENDITIONS`.
 */
import {
  BUCKET_MS,
  isRenditionField,
  OVERFLOW_RENDITION,
  rankRenditions,
  renditionOf,
  summarize,
  type StreamState,
  type StreamSummary,
} from '../telemetry/aggregate.ts';

/** A ladder rarely has more than 6 rungs; beyond this a chart's colours and legend stop being readable. */
export const MAX_CHARTED_RENDITIONS = 8;
/** The store's own overflow name (`aggregate.ts`): what it counts beyond its cap is summed here too. */
export const OTHER_RENDITIONS = OVERFLOW_RENDITION;

export interface RenditionSeries {
  /** Charted renditions, most watched first; `OTHER_RENDITIONS` last when some were summed. */
  renditions: string[];
  /** `viewers[i][j]`: average viewers of `renditions[j]` over the bucket of `series[i]`. */
  viewers: number[][];
}

export interface StreamDetail extends StreamSummary {
  renditionSeries: RenditionSeries;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export function renditionSeries(state: StreamState, series: StreamSummary['series']): RenditionSeries {
  const watchByRendition = new Map<string, number>();
  for (const { fields } of state.buckets) {
    for (const [field, ms] of Object.entries(fields)) {
      if (isRenditionField(field)) watchByRendition.set(field, (watchByRendition.get(field) ?? 0) + ms);
    }
  }
  const { kept: charted, summed } = rankRenditions(watchByRendition, MAX_CHARTED_RENDITIONS);
  const byStart = new Map(state.buckets.map((bucket) => [bucket.start, bucket.fields]));
  const viewers = series.map(({ t }) => {
    const fields = byStart.get(t) ?? {};
    const row = charted.map((field) => round2((fields[field] ?? 0) / BUCKET_MS));
    if (summed.length > 0) row.push(round2(summed.reduce((sum, field) => sum + (fields[field] ?? 0), 0) / BUCKET_MS));
    return row;
  });
  const renditions = charted.map(renditionOf);
  if (summed.length > 0) renditions.push(OTHER_RENDITIONS);
  return { renditions, viewers };
}

export function streamDetail(state: StreamState, now: number, pricePerGb: number): StreamDetail {
  const summary = summarize(state, now, pricePerGb);
  return { ...summary, renditionSeries: renditionSeries(state, summary.series) };
}
