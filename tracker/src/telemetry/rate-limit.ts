/**
 * Per-address token buckets for the tracker's HTTP endpoints (the telemetry collector,
 * `/coordination`): a full minute's allowance as burst, refilled continuously.
 */
import { limitKey } from '../client-address.ts';

/** Addresses tracked at most; beyond it the idle ones (full buckets) are forgotten first. */
const MAX_ADDRESSES = 100_000;

export class AddressRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes one token for `clientAddress` (its /64 when IPv6); false when it has none left. */
  take(clientAddress: string, now: number): boolean {
    const address = limitKey(clientAddress);
    const bucket = this.buckets.get(address);
    const tokens = bucket ? Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000) : this.perMinute;
    if (tokens < 1) {
      bucket!.tokens = tokens;
      bucket!.at = now;
      return false;
    }
    if (!bucket && this.buckets.size >= MAX_ADDRESSES) this.forgetIdle(now);
    this.buckets.set(address, { tokens: tokens - 1, at: now });
    return true;
  }

  private forgetIdle(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(address);
    }
    // All busy (a flood from many addresses): start over rather than grow without bound.
    if (this.buckets.size >= MAX_ADDRESSES) this.buckets.clear();
  }
}
