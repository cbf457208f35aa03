/** Starts the origin from environment variables (see config.ts and the README). */
import { runService } from '@swarmcast/config';
import { buildOrigin } from './app.ts';
import { loadConfig } from './config.ts';

await runService(() => {
  const config = loadConfig(process.env);
  return {
    server: buildOrigin(config.origin),
    port: config.port,
    host: config.host,
    listeningText: (address) => `origin listening on ${address} (media: ${config.origin.mediaDir})`,
  };
});
