/**
 * A service's configuration as a table of settings, one per environment variable:
 * `{ env, default, parse, doc }`. The loader reads the environment through the table, so the
 * variables a service reads, their defaults and the README's reference are the same list.
 */

/** A configuration the service cannot start with; `variable` names the environment variable to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a parser throws: what the value should have been ("an integer from 0 to 65535"). */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** The value while the variable is unset or empty. */
  readonly default: T;
  /** The variable's text to the value; throws `InvalidValue` saying what it expected. */
  readonly parse: (raw: string, env: string) => T;
  /** The README's "meaning" cell. */
  readonly doc: string;
  /** The README's "default" cell, when `default` written out would mislead (a path resolved at start, say). */
  readonly docDefault?: string | undefined;
  /** Keys and tokens: an error never repeats the value. */
  readonly secret?: boolean | undefined;
}

type SettingSpec<T> = Omit<Setting<T>, 'default'>;

/** A setting whose value type is what `parse` returns; without a `default` it is unset (undefined) until the variable is set. */
export function setting<T>(spec: SettingSpec<T> & { default: NoInfer<T> }): Setting<T>;
export function setting<T>(spec: SettingSpec<T>): Setting<T | undefined>;
export function setting<T>(spec: SettingSpec<T> & { default?: T }): Setting<T | undefined> {
  return { default: undefined, ...spec };
}

export type Settings = Readonly<Record<string, Setting<unknown>>>;

/** The configuration a table of settings yields: one value per setting, under the same key. */
export type ConfigOf<S extends Settings> = { -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** The error for a value of `setting` that is not what it `expected`, in the one wording every service uses. */
export function invalid(setting: Setting<unknown>, raw: string, expected: string): ConfigError {
  const shown = setting.secret ? '<secret>' : JSON.stringify(raw);
  return new ConfigError(setting.env, `${setting.env}=${shown} is invalid: ${setting.env} must be ${expected}`);
}

/** Reads every setting's variable from `env`; unset or empty ones keep their defaults. Throws a `ConfigError` at the first bad value. */
export function loadSettings<S extends Settings>(settings: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      values[key] = setting.default;
      continue;
    }
    try {
      values[key] = setting.parse(raw, setting.env);
    } catch (error) {
      if (error instanceof InvalidValue) throw invalid(setting, raw, error.expected);
      throw error;
    }
  }
  return values as ConfigOf<S>;
}

/** Every setting's default: the configuration of an empty environment. */
export function defaults<S extends Settings>(settings: S): ConfigOf<S> {
  return Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, setting.default])) as ConfigOf<S>;
}

/** Every setting's environment variable, by key. */
export function envNames<S extends Settings>(settings: S): { [K in keyof S]: string } {
  return Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, setting.env])) as { [K in keyof S]: string };
}
