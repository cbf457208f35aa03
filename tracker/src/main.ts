/** Starts the tracker from environment variables (see config.ts and the README). */
import { runService } from '@swarmcast/config';
import { buildTracker } from './app.ts';
import { loadConfig } from './config.ts';
import { StoreUnavailableError, storeKind } from './storage.ts';

await runService(
  async () => {
    const config = loadConfig();
    return {
      server: await buildTracker({ ...config, logger: { level: config.logLevel } }),
      port: config.port,
      host: config.host,
      listeningText: (address) =>
        `tracker listening on ${address.replace(/^http/, 'ws')} (${storeKind(config)} store)`,
    };
  },
  (error) => (error instanceof StoreUnavailableError ? `tracker not started: ${error.message}` : undefined),
);
