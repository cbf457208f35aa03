// WebSocket peers against a tracker, for the tracker's own bench.
export { LoadFleet, type FleetConnected, type FleetOptions } from './load-fleet.ts';
export type { CoordinationPolling, LoadPlan, LoadReport } from './load-peer.ts';
export { infoHashOf } from './signaling-frames.ts';
export { PLAYER_POLL_MS } from './coordination-poll.ts';
