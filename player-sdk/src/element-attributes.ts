/**
 * `<swarmcast-player>`'s attributes: which option each one sets and how its text is read, which
 * ones apply to a running player, and the <video> attributes the element passes to its video.
 * Values are only converted here; `resolveOptions` validates them, so a bad attribute fails with
 * the option's own message.
 */
import { OptionError, type SwarmcastOptions } from './options.ts';

type Read = (name: string) => string | null;
type Parse = (value: string, read: Read) => Partial<SwarmcastOptions>;

/** A token attribute is cheap to read: ask it before every request rather than once a minute. */
const ATTRIBUTE_TOKEN_REFRESH_SEC = 0.001;

/** `""` (a bare attribute) and `"true"` are true, `"false"` false; anything else goes to the validator as is (and fails there). */
const flag = (value: string): boolean | string => (value === '' || value === 'true' ? true : value === 'false' ? false : value);

const json = (attribute: string, option: string, value: string): unknown => {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new OptionError(option, `the ${attribute} attribute is not valid JSON (${(error as Error).message})`);
  }
};

export const levelOf = (value: string | null): number | 'auto' => (value === null || value === 'auto' ? 'auto' : Number(value));

/**
 * Every attribute that sets an option, in the order they apply (a later one overrides: `latency`
 * over `live-latency`, `token-refresh-seconds` over `token`'s own refresh). The casts hand text the
 * validator rejects (e.g. `p2p="maybe"`) over to it.
 */
const OPTION_ATTRIBUTES: Record<string, Parse> = {
  src: (value) => ({ src: value }),
  tracker: (value) => ({ trackers: value.split(/[\s,]+/).filter(Boolean) }),
  'swarm-id': (value) => (value ? { swarmId: value } : {}),
  // Read again at every refresh; removing the attribute leaves the last token in use.
  token: (value, read) => (value ? { token: () => read('token') ?? '', tokenRefreshSeconds: ATTRIBUTE_TOKEN_REFRESH_SEC } : {}),
  'token-refresh-seconds': (value) => ({ tokenRefreshSeconds: Number(value) }),
  'origin-token': (value) => ({ originToken: flag(value) as boolean }),
  p2p: (value) => ({ p2p: flag(value) as boolean }),
  upload: (value) => ({ upload: (value === 'auto' ? value : flag(value)) as boolean }),
  integrity: (value) => ({ integrity: value === 'auto' ? value : flag(value) }),
  coordination: (value) => ({ coordination: flag(value) as boolean }),
  policy: (value) => ({ policy: value as SwarmcastOptions['policy'] & string }),
  level: (value) => ({ level: levelOf(value) }),
  'live-latency': (value) => ({ liveLatency: Number(value) }),
  latency: (value) => ({ liveLatency: Number(value) }),
  'http-fallback-buffer': (value) => ({ httpFallbackBuffer: Number(value) }),
  'rtc-config': (value) => ({ rtcConfig: json('rtc-config', 'rtcConfig', value) as RTCConfiguration }),
  'hls-config': (value) => ({ hlsConfig: json('hls-config', 'hlsConfig', value) as Record<string, unknown> }),
  'stats-interval-ms': (value) => ({ statsIntervalMs: Number(value) }),
  // true / false, a JSON object ({ url, intervalMs, stream }), or the collector's URL.
  telemetry: (value) => {
    const parsed = flag(value);
    if (typeof parsed === 'boolean') return { telemetry: parsed };
    return { telemetry: (value.trimStart().startsWith('{') ? json('telemetry', 'telemetry', value) : { url: value }) as SwarmcastOptions['telemetry'] };
  },
  // Unlike createPlayer's default (true), the element plays by itself only when asked, as <video> does.
  autoplay: () => ({ autoplay: true }),
};

/** Option attributes a running player takes without a restart (`token` only once it started with one). */
export const LIVE_ATTRIBUTES: readonly string[] = ['level', 'latency', 'live-latency', 'token', 'autoplay'];

/** The <video> attributes the element passes on to its video as they are. */
export const MEDIA_ATTRIBUTES: readonly string[] = ['controls', 'muted', 'autoplay', 'playsinline', 'poster', 'preload', 'crossorigin', 'loop'];

export const OBSERVED_ATTRIBUTES: readonly string[] = [...new Set([...Object.keys(OPTION_ATTRIBUTES), ...MEDIA_ATTRIBUTES])];

export const isOptionAttribute = (name: string): boolean => Object.hasOwn(OPTION_ATTRIBUTES, name);

/** The player's options as the attributes give them; throws an `OptionError` for an attribute that cannot be read (bad JSON). */
export function optionsFromAttributes(read: Read): SwarmcastOptions {
  const options: SwarmcastOptions = { src: '', autoplay: false };
  for (const [name, parse] of Object.entries(OPTION_ATTRIBUTES)) {
    const value = read(name);
    if (value !== null) Object.assign(options, parse(value, read));
  }
  return options;
}

/** Passes a media attribute on to the video; `muted` also mutes or unmutes it now (the attribute alone only sets the default). */
export function reflectMediaAttribute(video: HTMLVideoElement, name: string, value: string | null): void {
  if (value === null) video.removeAttribute(name);
  else video.setAttribute(name, value);
  if (name === 'muted') video.muted = value !== null;
}
