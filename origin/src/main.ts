/** Starts the origin from environment variables (see config.ts and the README). */
import { runService } from '@swarmcast/config';
import { buildOrigin } from './app.ts';
import { loadConfig } from './config.ts';

await runService(() => {
  const config = loadConfig(process.env);
  const app = buildOrigin(config.origin);
  return {
    service: app,
    listen: () =>
      app.listen({
        port: config.port,
        host: config.host,
        // Fastify logs this once per address the socket is reachable at (one line on 127.0.0.1).
        listenTextResolver: (address) => `origin listening on ${address} (media: ${config.origin.mediaDir})`,
      }),
  };
});
