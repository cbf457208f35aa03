/**
 * The SDK's decisions without a browser, hls.js or a <video>: the peer-first policy and the
 * defaults it starts from, the seeding planner (coordination, role, plan, the viewer's proven
 * peer_id) that the player's session calls too, and the swarm identity p2p-media-loader derives.
 * A viewer that drives a p2p-media-loader Core itself (the load tester's virtual viewers) imports
 * them here to behave exactly as the player does. The shapes of the player's options and stats
 * are here too, for tools that start or read a player from outside a page (the load tester's
 * real-browser viewers).
 * Published as `@swarmcast/player-sdk/policy`.
 */
export { initialCoreConfig, LIVE_LATENCY_SLACK_SEC, PEER_FIRST_MAX_BUFFER_SEC, STALL_MEMORY_MS, type PolicyOptions } from './loading-policy.ts';
export { defaultOptions, type PolicyName, type SwarmcastOptions } from './options.ts';
export type { SwarmcastStats } from './stats.ts';
export type { SeedingRole } from './seeding-role.ts';
export { SeedingPlanner } from './seeding-planner.ts';
export { defaultSwarmId, levelStreamAttributes, swarmInfoHash, type LevelFields } from './swarm-identity.ts';
