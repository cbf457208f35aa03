/** Swarmcast player SDK: peer-first HLS playback (hls.js + p2p-media-loader). */
export { createPlayer, type SwarmcastPlayer } from './player.ts';
export { swarmcastHls, type SwarmcastEngineOptions, type SwarmcastHlsClass, type SwarmcastHlsInstance } from './engine.ts';
export type { QualityLevel, SwarmcastHandle } from './session.ts';
export { defaultOptions, OptionError, resolveOptions, type PolicyName, type ResolvedOptions, type SwarmcastOptions } from './options.ts';
export type { SwarmcastStats, IntegrityStats, SegmentSource } from './stats.ts';
export type { FallbackEvent, Listener, PeerEvent, SegmentEvent, SwarmcastErrorEvent, SwarmcastEventMap, SwarmcastEventName } from './events.ts';
export type { FallbackReason, TransportMode } from './loading-policy.ts';
export { defineSwarmcastElement, ELEMENT_NAME, type SwarmcastPlayerElement, type SwarmcastPlayerElementConstructor, type SwarmcastPlayerElementEventMap } from './element.ts';
export type { MediaStreamType } from './element-stream-type.ts';
