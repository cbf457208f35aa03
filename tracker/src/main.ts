/** Starts the tracker from environment variables (see config.ts and the README). */
import { buildTracker } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { StoreUnavailableError } from './storage.ts';

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
    listenTextResolver: (address) =>
      `tracker listening on ${address.replace(/^http/, 'ws')} (${config.redisUrl || config.redisClusterNodes ? 'redis' : 'memory'} store)`,
  });
} catch (error) {
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else if (error instanceof StoreUnavailableError) console.error(`tracker not started: ${error.message}`);
  else console.error(error);
  process.exit(1);
}
