/** Starts the tracker from environment variables (see config.ts and the README). */
import { buildTracker } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

try {
  const config = loadConfig();
  const app = await buildTracker({ ...config, logger: { level: config.logLevel } });
  const shutdown = () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({
    port: config.port,
    host: config.host,
    listenTextResolver: (address) => `tracker listening on ${address.replace(/^http/, 'ws')} (${config.redisUrl ? 'redis' : 'memory'} store)`,
  });
} catch (error) {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
}
