// Node: real WebRTC from @roamhq/wrtc, exported under the names webrtc-polyfill has.
import wrtc from '@roamhq/wrtc';

export const {
  RTCPeerConnection,
  RTCSessionDescription,
  RTCIceCandidate,
  RTCDataChannel,
  RTCPeerConnectionIceEvent,
  RTCDataChannelEvent,
  MediaStream,
  MediaStreamTrack,
} = wrtc;
export default wrtc;
