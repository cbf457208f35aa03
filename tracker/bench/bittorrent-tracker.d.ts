// bittorrent-tracker ships no types. This ambient declaration covers its server as it is used
// with `ws: true` (the reference in benches and tests); being ambient, it applies project-wide.
declare module 'bittorrent-tracker' {
  import { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';
  import type { WebSocketServer } from 'ws';

  export interface ServerOptions {
    udp?: boolean;
    http?: boolean;
    ws?: boolean;
    stats?: boolean;
    trustProxy?: boolean;
    interval?: number;
  }

  export class Server extends EventEmitter {
    constructor(options?: ServerOptions);
    /** With `ws: true` and no `noServer`, the HTTP server the WebSocket server is attached to. */
    readonly http: HttpServer;
    readonly ws: WebSocketServer;
    listen(port: number, hostname?: string, onListening?: () => void): void;
    close(onClose?: () => void): void;
  }
}
