/**
 * The clock of a simulated live stream: a VOD rendition looped forever from a fixed epoch.
 * Sequence `s` plays VOD segment `s mod count` of loop `floor(s / count)`. Every origin process
 * computes the same edge from the same epoch and the same durations, so instances agree.
 * All arithmetic is on whole milliseconds, so the loop never drifts.
 */

export interface LiveSegment {
  sequence: number;
  /** Index of the looped VOD segment. */
  index: number;
  startMs: number;
  durationMs: number;
  /** The loop wraps just before this segment (and it is not the first one listed). */
  discontinuity: boolean;
}

export interface LiveWindow {
  mediaSequence: number;
  discontinuitySequence: number;
  segments: LiveSegment[];
}

export class LiveTimeline {
  private readonly durationsMs: number[];
  private readonly startsMs: number[];
  private readonly loopMs: number;

  constructor(
    durationsMs: number[],
    private readonly epochMs: number,
  ) {
    if (durationsMs.length === 0) throw new Error('a live timeline needs at least one segment');
    this.durationsMs = durationsMs;
    this.startsMs = [];
    let total = 0;
    for (const duration of durationsMs) {
      this.startsMs.push(total);
      total += duration;
    }
    this.loopMs = total;
  }

  get segmentCount(): number {
    return this.durationsMs.length;
  }

  /** The newest segment that has finished "recording" at `nowMs`; -1 before the first has. */
  lastCompleteSequence(nowMs: number): number {
    const elapsed = nowMs - this.epochMs;
    if (elapsed < this.durationsMs[0]!) return -1;
    const loops = Math.floor(elapsed / this.loopMs);
    const withinLoop = elapsed - loops * this.loopMs;
    let completed = 0;
    while (completed < this.segmentCount && this.startsMs[completed]! + this.durationsMs[completed]! <= withinLoop) completed++;
    return loops * this.segmentCount + completed - 1;
  }

  /** When segment 0 completes: the earliest instant the stream has anything to list. */
  get firstSegmentReadyMs(): number {
    return this.epochMs + this.durationsMs[0]!;
  }

  indexOf(sequence: number): number {
    return sequence % this.segmentCount;
  }

  segment(sequence: number, firstListed: number): LiveSegment {
    const index = this.indexOf(sequence);
    const loop = Math.floor(sequence / this.segmentCount);
    return {
      sequence,
      index,
      startMs: this.epochMs + loop * this.loopMs + this.startsMs[index]!,
      durationMs: this.durationsMs[index]!,
      discontinuity: index === 0 && sequence > firstListed,
    };
  }

  /** The last `size` complete segments at `nowMs` (fewer right after the epoch). */
  window(nowMs: number, size: number): LiveWindow {
    const last = this.lastCompleteSequence(nowMs);
    const first = Math.max(0, last - size + 1);
    const segments: LiveSegment[] = [];
    for (let sequence = first; sequence <= last; sequence++) segments.push(this.segment(sequence, first));
    // Each wrap before the first listed segment counts one discontinuity (HLS §6.2.2).
    return { mediaSequence: first, discontinuitySequence: Math.floor(first / this.segmentCount), segments };
  }
}
