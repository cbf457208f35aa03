// The Node virtual viewer (real p2p-media-loader-core over real WebRTC), for other packages' tests.
export { PeerProcess, startPeer, type StartPeerOptions } from './viewer-process.ts';
export type { PeerCommand, PeerEvent, PeerOptions } from './p2pml-viewer.ts';
