// streamx needs text-decoder (and through it b4a, 13 KiB together) only for a stream given an
// `encoding`; simple-peer and simple-websocket never give one, so the browser bundles leave it out.
module.exports = class TextDecoder {
  constructor() {
    throw new Error('text decoding of streams is not in the Swarmcast bundles');
  }
};
