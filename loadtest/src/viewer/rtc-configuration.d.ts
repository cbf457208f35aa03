// player-sdk/src/options.ts (imported for Swarmcast's policy and its defaults) names the browser's
// RTCConfiguration, which the Node-only type library of the root tsconfig lacks. Only the part
// the viewers set is declared.
interface RTCConfiguration {
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}
