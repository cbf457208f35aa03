import { defineConfig } from 'vite';

// Relative asset URLs: the built page works from any folder of a static host.
export default defineConfig({ base: './' });
