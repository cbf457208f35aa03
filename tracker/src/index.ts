// What other packages (deploy tests, benches, the load tester) use of the tracker.
export { buildTracker, StoreUnavailableError, type TrackerOptions } from './app.ts';
export { ConfigError, configEnv, defaultConfig, loadConfig, trackerSettings, type TrackerConfig } from './config.ts';
