// WebSocket peers against a tracker, for the tracker's own bench.
export { LoadFleet, type FleetConnected, type FleetOptions } from './load-fleet.ts';
export type { LoadPlan, LoadReport } from './load-peer.ts';
