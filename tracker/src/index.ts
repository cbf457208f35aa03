// What other packages (deploy tests, benches, the load tester) use of the tracker.
export { buildTracker, type TrackerOptions } from './app.ts';
export { StoreUnavailableError } from './storage.ts';
export { ConfigError, configEnv, defaultConfig, loadConfig, trackerSettings, type TrackerConfig } from './config.ts';
