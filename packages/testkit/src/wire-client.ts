/** A raw WebSocket client for tests: speaks the tracker's wire directly and awaits frames. */
import { get } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';

export type Frame = Record<string, unknown>;

export class WireClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      } else {
        this.frames.push(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static connect(url: string, options: ClientOptions = {}): Promise<WireClient> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WireClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next frame (already received or still to come) that matches; fails after `timeoutMs`. */
  next(match: (frame: Frame) => boolean = () => true, timeoutMs = 2000): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index >= 0) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; unmatched: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves true if a matching frame arrives within `ms`, false otherwise (for "never" checks). */
  async receives(match: (frame: Frame) => boolean, ms: number): Promise<boolean> {
    return this.next(match, ms).then(
      () => true,
      () => false,
    );
  }

  close(): void {
    this.socket.close();
  }
}

export const isAnnounceResponse = (infoHash: string) => (frame: Frame) =>
  frame['action'] === 'announce' && frame['info_hash'] === infoHash && typeof frame['interval'] === 'number';
export const isOffer = (frame: Frame) => frame['offer'] !== undefined;
export const isAnswer = (frame: Frame) => frame['answer'] !== undefined;
export const isFailure = (frame: Frame) => typeof frame['failure reason'] === 'string';

/** A 20-character id (info_hash, peer_id, offer_id) from a short label, padded so tests read clearly. */
export const id20 = (label: string): string => label.padEnd(20, '.').slice(0, 20);

/**
 * A bare WebSocket upgrade request to `url` (ws:// or http://), from `localAddress` if given:
 * status 101 when accepted (the socket is then dropped), else the refusal's status and body.
 */
export function tryUpgrade(url: string, localAddress?: string): Promise<{ status: number; body: string }> {
  const headers = { connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
  return new Promise((resolve, reject) => {
    const request = get(url.replace(/^ws/, 'http'), { headers, localAddress, agent: false });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
  });
}
