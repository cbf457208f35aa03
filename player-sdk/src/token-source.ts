/**
 * The access token a player sends: the option's string, or the callback's latest answer, asked
 * again once older than `tokenRefreshSeconds` (one request at a time; a failed call keeps the last).
 */
import type { Emitter } from './events.ts';
import { withToken, type ResolvedOptions } from './options.ts';

export class TokenSource {
  private token: string | undefined;
  private tokenAt = -Infinity;
  private request: Promise<string | undefined> | undefined;

  constructor(
    private readonly options: Pick<ResolvedOptions, 'token' | 'tokenRefreshSeconds' | 'originToken'>,
    private readonly emitter: Emitter,
  ) {
    this.token = typeof options.token === 'string' ? options.token : undefined;
  }

  /** The current token; from a callback, asked again when stale. */
  fresh(): Promise<string | undefined> {
    const source = this.options.token;
    if (typeof source !== 'function' || performance.now() - this.tokenAt < this.options.tokenRefreshSeconds * 1000) return Promise.resolve(this.token);
    this.request ??= Promise.resolve()
      .then(source)
      .then(
        (fresh) => {
          this.token = fresh;
          this.tokenAt = performance.now();
          return fresh;
        },
        (error: unknown) => {
          this.emitter.emit('error', { code: 'token', message: `token callback failed: ${describe(error)}`, fatal: false });
          return this.token;
        },
      )
      .finally(() => (this.request = undefined));
    return this.request;
  }

  /** `url` with the token on it when the origin wants one (`originToken`). */
  async originUrl(url: string): Promise<string> {
    const current = this.options.originToken ? await this.fresh() : undefined;
    return current ? withToken(url, current) : url;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'tracker connection failed';
}
