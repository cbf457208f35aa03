export { decimal, flag, integer, list, oneOf, path, readableFile, text, url, webOrigin } from './parsers.ts';
export { referenceTable } from './reference.ts';
export { ConfigError, defaults, envNames, invalid, InvalidValue, loadSettings, setting, type ConfigOf, type Setting, type Settings } from './settings.ts';
export { LOG_LEVELS, logLevelSetting, tokenKeysSetting } from './shared-settings.ts';
export { runService, type ServiceStart } from './run-service.ts';
