/** Plyr: it draws the controls; hls.js (with Swarmcast mixed in) feeds the <video> underneath. */
import Hls from 'hls.js';
import Plyr from 'plyr';
import 'plyr/dist/plyr.css';
import iconUrl from 'plyr-icons.svg?url';
import { swarmcastHls } from '@swarmcast/player-sdk/engine';
import { exampleSettings, showStats } from '@swarmcast/example-page';

const { src, ...options } = exampleSettings();
const SwarmcastHls = swarmcastHls(Hls, options);

const video = document.querySelector('video')!;
const hls = new SwarmcastHls();
showStats(hls.swarmcast);
hls.attachMedia(video);
hls.loadSource(src);
hls.on(Hls.Events.MANIFEST_PARSED, () => {
  // Plyr's quality menu drives the Swarmcast quality API (which sets hls.js's level).
  const levels = hls.swarmcast.levels();
  const player = new Plyr(video, {
    autoplay: true,
    iconUrl,
    muted: true,
    quality: {
      default: 0,
      options: [0, ...levels.map((level) => level.height)],
      forced: true,
      onChange: (height: number) => hls.swarmcast.setLevel(height === 0 ? 'auto' : levels.findIndex((level) => level.height === height)),
    },
    i18n: { qualityLabel: { 0: 'Auto' } },
  });
  player.play()?.catch(() => undefined);
});
