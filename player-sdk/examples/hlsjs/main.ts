/** Plain hls.js: the site's own Hls class, with Swarmcast mixed in. */
import Hls from 'hls.js';
import { swarmcastHls } from '@swarmcast/player-sdk/engine';
import { exampleSettings, showStats } from '@swarmcast/example-page';

const { src, ...options } = exampleSettings();
const SwarmcastHls = swarmcastHls(Hls, options);

const video = document.querySelector('video')!;
const hls = new SwarmcastHls({ liveSyncDuration: 12 });
showStats(hls.swarmcast);
hls.attachMedia(video);
hls.loadSource(src);
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => undefined));
