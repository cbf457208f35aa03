/**
 * Media Chrome: <media-controller> draws the controls over a plain <video slot="media">; hls.js
 * (with Swarmcast mixed in) feeds it, and the video's own `autoplay` starts it once it has data.
 */
import 'media-chrome';
import Hls from 'hls.js';
import { swarmcastHls } from '@swarmcast/player-sdk/engine';
import { exampleSettings, showStats } from '@swarmcast/example-page';

const { src, ...options } = exampleSettings();
const hls = new (swarmcastHls(Hls, options))({ liveSyncDuration: 12 });
showStats(hls.swarmcast);
hls.attachMedia(document.querySelector<HTMLVideoElement>('media-controller video[slot="media"]')!);
hls.loadSource(src);
