/**
 * This viewer's upload rate, as its uploads show it: the tracker sizes the seeding by what the
 * mesh can carry (`uplink_kbit` in the coordination poll). p2p-media-loader sends a segment to a
 * peer chunk by chunk as the data channel drains, so the chunks of one segment going to one peer
 * (a burst) arrive at the rate the link takes them; small bursts say little and are not counted.
 * The estimate is the median of the recent bursts' rates: a lower bound of the uplink (a peer's
 * downlink or the machine may be what limited a burst), which errs towards more seeders.
 */

/** Chunks to one peer this close together belong to one burst. */
const BURST_GAP_MS = 250;
/** A burst shorter than this is mostly the first chunk's queueing: no rate read from it. */
const MIN_BURST_BYTES = 48 * 1024;
const MIN_BURST_MS = 10;
/** Bursts the median is taken over. */
const SAMPLES = 15;
/** Peers followed at once (a viewer has a few dozen at most). */
const MAX_PEERS = 64;

interface Burst {
  startedAt: number;
  lastAt: number;
  /** Bytes after the first chunk: the first chunk's send time is where the burst starts. */
  bytes: number;
}

export class UplinkMeter {
  private readonly bursts = new Map<string, Burst>();
  private readonly samples: number[] = [];

  constructor(private readonly now: () => number) {}

  /** A chunk of `bytes` went to `peerId`. */
  uploaded(bytes: number, peerId: string): void {
    const now = this.now();
    const burst = this.bursts.get(peerId);
    if (burst && now - burst.lastAt <= BURST_GAP_MS) {
      burst.bytes += bytes;
      burst.lastAt = now;
      return;
    }
    if (burst) this.close(burst);
    this.bursts.delete(peerId);
    if (this.bursts.size >= MAX_PEERS) {
      const [oldest, first] = this.bursts.entries().next().value!;
      this.close(first);
      this.bursts.delete(oldest);
    }
    this.bursts.set(peerId, { startedAt: now, lastAt: now, bytes: 0 });
  }

  /** The uplink in kbit/s the recent bursts show; null before any burst big enough. */
  get kbit(): number | null {
    const now = this.now();
    for (const [peerId, burst] of this.bursts) {
      if (now - burst.lastAt <= BURST_GAP_MS) continue;
      this.close(burst);
      this.bursts.delete(peerId);
    }
    if (this.samples.length === 0) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return Math.max(1, Math.round(sorted[Math.floor(sorted.length / 2)]!));
  }

  private close(burst: Burst): void {
    const ms = burst.lastAt - burst.startedAt;
    if (burst.bytes < MIN_BURST_BYTES || ms < MIN_BURST_MS) return;
    this.samples.push((burst.bytes * 8) / ms);
    if (this.samples.length > SAMPLES) this.samples.shift();
  }
}
