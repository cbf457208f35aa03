import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'vite';

const plyrDist = dirname(createRequire(import.meta.url).resolve('plyr'));

export default defineConfig({
  // Relative asset URLs: the built page works from any folder of a static host.
  base: './',
  // Plyr's icon sprite is not in its package exports; this name lets main.ts import its URL (Plyr fetches it from cdn.plyr.io otherwise).
  resolve: { alias: [{ find: /^plyr-icons\.svg(?=\?|$)/, replacement: join(plyrDist, 'plyr.svg') }] },
});
