/** What to send for a `Range` header against a body of `size` bytes (RFC 9110 §14). */
export type RangeDecision =
  | { type: 'full' }
  | { type: 'partial'; start: number; end: number }
  | { type: 'unsatisfiable' };

const SINGLE_RANGE = /^(\d*)-(\d*)$/;

/**
 * Single ranges only. A multi-range request is answered with the full body (200), which RFC 9110
 * allows and which no HLS player needs otherwise; a header we cannot parse is ignored likewise.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { type: 'full' };
  const match = /^bytes=(.*)$/i.exec(header.trim());
  if (!match || match[1]!.includes(',')) return { type: 'full' };
  const spec = SINGLE_RANGE.exec(match[1]!.trim());
  if (!spec) return { type: 'full' };
  const [, first = '', last = ''] = spec;

  if (first === '') {
    if (last === '') return { type: 'full' };
    const suffixLength = Number(last);
    if (suffixLength === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return { type: 'full' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'partial', start, end: Math.min(end, size - 1) };
}
