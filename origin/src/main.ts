/** Starts the origin from environment variables (see config.ts and the README). */
import { buildOrigin } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

try {
  const config = loadConfig(process.env);
  const app = buildOrigin(config.origin);
  const shutdown = () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({
    port: config.port,
    host: config.host,
    // Fastify logs this once per address the socket is reachable at (one line on 127.0.0.1).
    listenTextResolver: (address) => `origin listening on ${address} (media: ${config.origin.mediaDir})`,
  });
} catch (error) {
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else console.error(error);
  process.exit(1);
}
