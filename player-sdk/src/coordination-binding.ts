/**
 * Seeding coordination on an hls.js stream: the swarm (info_hash) of each level, learnt from the
 * master playlist, so that the planner follows the swarm of the level being played; and a plan as
 * soon as the first level playlist tells live from VOD.
 */
import type Hls from 'hls.js';
import type { Level } from 'hls.js';
import { levelInfoHash } from './hls-swarm.ts';
import { listenTo } from './hls-listeners.ts';
import type { ResolvedOptions } from './options.ts';
import type { SeedingPlanner } from './seeding-planner.ts';
import { defaultSwarmId } from './swarm-identity.ts';

export interface CoordinationBinding {
  /** The swarm of a level (undefined until the master playlist has loaded). */
  swarmOf(level: Level | undefined): string | undefined;
  destroy(): void;
}

export function bindCoordination(hls: Hls, options: ResolvedOptions, planner: SeedingPlanner, replan: () => void): CoordinationBinding {
  /** info_hash of each level's swarm, by level URL (filled when the master playlist arrives). */
  const levelSwarms = new Map<string, string>();
  const { Events } = hls.constructor as typeof Hls;
  // Live or VOD is known now, before the first segment request: plan for it rather than a second later.
  const firstLevelLoaded = () => replan();
  hls.once(Events.LEVEL_LOADED, firstLevelLoaded);
  const unlisten = listenTo(hls, {
    [Events.MANIFEST_LOADED]: (_event, data) => {
      // p2p-media-loader names swarms after the response URL (after redirects), as here.
      const details: unknown = data.networkDetails;
      const responseUrl = details instanceof XMLHttpRequest ? details.responseURL : details instanceof Response ? details.url : data.url;
      const swarmId = options.swarmId ?? defaultSwarmId(responseUrl);
      for (const level of data.levels) levelSwarms.set(level.url, levelInfoHash(swarmId, level));
      // Ask now, while the level playlist loads: the answer should be in before the first segment request.
      const first = data.levels[options.level === 'auto' ? 0 : Math.min(options.level, data.levels.length - 1)];
      if (first) planner.follow(levelSwarms.get(first.url));
    },
  });
  return {
    swarmOf: (level) => (level ? levelSwarms.get(level.uri) : undefined),
    destroy() {
      unlisten();
      hls.off(Events.LEVEL_LOADED, firstLevelLoaded);
    },
  };
}
