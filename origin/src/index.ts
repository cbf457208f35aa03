// What other packages (deploy tests, benches, the player SDK's tests) use of the origin.
export { buildOrigin } from './app.ts';
export { ConfigError, defaultOriginOptions, loadConfig, originEnv, originSettings, type MainConfig, type OriginOptions } from './config.ts';
