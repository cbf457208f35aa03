// Test and bench plumbing shared by every package. Chromium is `@swarmcast/testkit/chromium`.
export type { HeapReading } from './heap-probe.ts';
export { malleatedSpellings } from './access-token-spellings.ts';
export { canUnshare, inLoopbackNamespace, rerunInLoopbackNamespace, webrtcSkip } from './loopback.ts';
export { acceptsConnections, freePort, portIsFree } from './ports.ts';
export { exitOf, forwardLabelled, killAllChildren, stopChild, track, TSX_EXEC_ARGV } from '@swarmcast/process';
export { runEntry } from './processes.ts';
export { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from './redis-server.ts';
export { runTracker, startTrackerProcess, type TrackerProcess, type TrackerProcessOptions } from './tracker-process.ts';
export { sleep, until, waitFor, type PollOptions } from './wait.ts';
export { id20, isAnnounceResponse, isAnswer, isFailure, isOffer, tryUpgrade, WireClient, type Frame } from './wire-client.ts';
