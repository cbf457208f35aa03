/**
 * The access token a player sends: the option's string, or the callback's latest answer, asked
 * again once older than `tokenRefreshSeconds` or close to its expiry (`renewalDueMs`; one request
 * at a time; a failed call keeps the last).
 */
import { errorMessage, type Emitter } from './events.ts';
import { withToken, type ResolvedOptions } from './options.ts';
import { renewalDueMs } from './token-renewal.ts';

export class TokenSource {
  private token: string | undefined;
  /** Unix milliseconds, as a token's expiry is. */
  private tokenAt = -Infinity;
  private renewAt = Infinity;
  private request: Promise<string | undefined> | undefined;

  constructor(
    private readonly options: Pick<ResolvedOptions, 'token' | 'tokenRefreshSeconds' | 'originToken'>,
    private readonly emitter: Emitter,
  ) {
    this.token = typeof options.token === 'string' ? options.token : undefined;
  }

  /** The token last received, without asking for one. */
  get current(): string | undefined {
    return this.token;
  }

  /** When (Unix ms) the callback's token is due for replacement; Infinity for a string option or a token without a readable expiry. */
  get renewalDue(): number {
    return this.renewAt;
  }

  /** The current token; from a callback, asked again when stale. */
  fresh(): Promise<string | undefined> {
    const source = this.options.token;
    const now = Date.now();
    if (typeof source !== 'function' || (now - this.tokenAt < this.options.tokenRefreshSeconds * 1000 && now < this.renewAt)) return Promise.resolve(this.token);
    this.request ??= Promise.resolve()
      .then(source)
      .then(
        (fresh) => {
          this.token = fresh;
          this.tokenAt = Date.now();
          this.renewAt = renewalDueMs(fresh, this.tokenAt);
          return fresh;
        },
        (error: unknown) => {
          this.emitter.emit('error', { code: 'token', message: `token callback failed: ${errorMessage(error, 'no reason given')}`, fatal: false });
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
