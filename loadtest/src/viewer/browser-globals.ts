// What p2p-media-loader-core's browser bundle (the one the player ships) expects of its host, for
// running it in Node: the load tester's virtual viewers and the tests of the core itself.
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';

/** Where the core expects a browser: its bundle reads these at import time. */
export function installBrowserGlobals(): void {
  const scope = globalThis as Record<string, unknown>;
  scope.window = globalThis;
  scope.self = globalThis;
  scope.location = new URL('http://127.0.0.1/');
  if (scope.navigator === undefined) scope.navigator = { userAgent: 'Node.js' };
  scope.WebSocket ??= WebSocket;
  for (const name of ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'RTCDataChannel'] as const) {
    scope[name] = wrtc[name];
  }
}
