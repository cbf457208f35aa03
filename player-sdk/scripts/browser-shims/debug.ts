/**
 * `debug` in the browser bundles, in a few hundred bytes instead of its 6 KiB: p2p-media-loader,
 * simple-peer and bittorrent-tracker log through it, and a page still turns their logs on before
 * the bundle loads with `localStorage.debug = 'p2pml-core:*'` (names separated by commas or
 * spaces, `*` for any text, `-name` to leave one out). No colours and no `debug.enable()`: nothing
 * we bundle calls it, and the console itself fills in `%o` and `%s`.
 */
export interface Debugger {
  (...args: unknown[]): void;
  readonly namespace: string;
  readonly enabled: boolean;
  /** Set by p2p-media-loader for debug's colours; kept so the assignment works. */
  color: string;
}

const patternOf = (name: string) => new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);

function readSetting(): string {
  try {
    return globalThis.localStorage?.getItem('debug') ?? '';
  } catch {
    return ''; // storage denied (sandboxed frame, privacy settings): no logs
  }
}

const names = readSetting().split(/[\s,]+/).filter(Boolean);
const included = names.filter((name) => !name.startsWith('-')).map(patternOf);
const excluded = names.filter((name) => name.startsWith('-')).map((name) => patternOf(name.slice(1)));

export function debug(namespace: string): Debugger {
  const enabled = included.some((pattern) => pattern.test(namespace)) && !excluded.some((pattern) => pattern.test(namespace));
  const log = (...args: unknown[]) => {
    if (!enabled) return;
    // The namespace joins a format string rather than coming before it, so `%o` still applies.
    if (typeof args[0] === 'string') console.debug(`${namespace} ${args[0]}`, ...args.slice(1));
    else console.debug(namespace, ...args);
  };
  return Object.assign(log, { namespace, enabled, color: '' });
}

export default debug;
