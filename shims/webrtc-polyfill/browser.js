// Browsers: their own WebRTC classes.
const scope = typeof window !== 'undefined' ? window : self;

export const RTCPeerConnection = scope.RTCPeerConnection;
export const RTCSessionDescription = scope.RTCSessionDescription;
export const RTCIceCandidate = scope.RTCIceCandidate;
export const RTCDataChannel = scope.RTCDataChannel;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel };
