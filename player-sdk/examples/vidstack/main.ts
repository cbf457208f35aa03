/** Vidstack: its HLS provider builds the hls.js instance; hand it the Swarmcast class to build. */
import 'vidstack/player/styles/default/theme.css';
import 'vidstack/player/styles/default/layouts/video.css';
import 'vidstack/player';
import 'vidstack/player/layouts/default';
import 'vidstack/player/ui';
import Hls from 'hls.js';
import { isHLSProvider, type MediaProviderChangeEvent } from 'vidstack';
import { swarmcastHls, type SwarmcastHlsInstance } from '@swarmcast/player-sdk/engine';
import { exampleSettings, showStats } from '@swarmcast/example-page';

const { src, ...options } = exampleSettings();
const SwarmcastHls = swarmcastHls(Hls, options);

const player = document.querySelector('media-player')!;
player.addEventListener('provider-change', (event: MediaProviderChangeEvent) => {
  const provider = event.detail;
  if (!isHLSProvider(provider)) return;
  // A class, not a URL: Vidstack would otherwise fetch hls.js from a CDN.
  provider.library = SwarmcastHls;
  provider.onInstance((hls) => showStats((hls as SwarmcastHlsInstance).swarmcast));
});
player.src = { src, type: 'application/x-mpegurl' };
