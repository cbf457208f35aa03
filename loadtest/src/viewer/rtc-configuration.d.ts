// @swarmcast/player-sdk/policy resolves to the SDK's sources, whose options name the browser's
// RTCConfiguration, which the Node-only type library of the root tsconfig lacks. Only the part
// the viewers set is declared.
interface RTCConfiguration {
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}
