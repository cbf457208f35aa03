/**
 * The HTMLMediaElement API of `<swarmcast-player>`, answered by the <video> in its shadow root:
 * what media UIs (media-chrome's `slot="media"`, player skins) read, write, call and listen to.
 */

/** Properties that stand for an attribute: setting one sets the element's attribute, which reaches the video. */
export const REFLECTED_PROPERTIES = {
  controls: 'controls',
  autoplay: 'autoplay',
  loop: 'loop',
  playsInline: 'playsinline',
  defaultMuted: 'muted',
  poster: 'poster',
  preload: 'preload',
  crossOrigin: 'crossorigin',
} as const;

/** Read and written on the video itself (`muted` is the current state; the attribute is `defaultMuted`). */
export const WRITABLE_PROPERTIES = ['currentTime', 'volume', 'muted', 'playbackRate', 'defaultPlaybackRate', 'preservesPitch', 'disablePictureInPicture'] as const;

export const READONLY_PROPERTIES = [
  'paused',
  'ended',
  'duration',
  'seeking',
  'readyState',
  'networkState',
  'buffered',
  'seekable',
  'played',
  'error',
  'videoWidth',
  'videoHeight',
  'textTracks',
  'currentSrc',
  'remote',
] as const;

/** `load()` is the element's own (it restarts the player). */
export const METHODS = ['play', 'pause', 'canPlayType', 'requestPictureInPicture', 'getVideoPlaybackQuality', 'addTextTrack'] as const;

/** Media events do not leave the shadow root: the element fires each again, as the video did (not bubbling). */
export const MEDIA_EVENTS = [
  'abort',
  'canplay',
  'canplaythrough',
  'durationchange',
  'emptied',
  'ended',
  'error',
  'loadeddata',
  'loadedmetadata',
  'loadstart',
  'pause',
  'play',
  'playing',
  'progress',
  'ratechange',
  'resize',
  'seeked',
  'seeking',
  'stalled',
  'suspend',
  'timeupdate',
  'volumechange',
  'waiting',
  'enterpictureinpicture',
  'leavepictureinpicture',
] as const;

type Reflected = keyof typeof REFLECTED_PROPERTIES;

/** The part of the HTMLVideoElement API the element answers. */
export type MediaProxy = Pick<HTMLVideoElement, Reflected | (typeof WRITABLE_PROPERTIES)[number] | (typeof METHODS)[number]> &
  Readonly<Pick<HTMLVideoElement, (typeof READONLY_PROPERTIES)[number]>>;

/** Every proxied property name: set on an element before its class was defined, they are set again through the proxy. */
export const PROXIED_PROPERTIES: readonly string[] = [...Object.keys(REFLECTED_PROPERTIES), ...WRITABLE_PROPERTIES, ...READONLY_PROPERTIES];

/** Defines the proxy on the element class's prototype; `videoOf` gives an element's video. */
export function defineMediaProxy(prototype: HTMLElement, videoOf: (element: HTMLElement) => HTMLVideoElement): void {
  const define = (name: string, descriptor: PropertyDescriptor) => Object.defineProperty(prototype, name, { configurable: true, ...descriptor });
  const video = (element: unknown) => videoOf(element as HTMLElement) as unknown as Record<string, unknown>;
  for (const [property, attribute] of Object.entries(REFLECTED_PROPERTIES)) {
    define(property, {
      get() {
        return video(this)[property];
      },
      set(this: HTMLElement, value: unknown) {
        if (typeof video(this)[property] === 'boolean') this.toggleAttribute(attribute, Boolean(value));
        else if (value === null) this.removeAttribute(attribute);
        else this.setAttribute(attribute, String(value));
      },
    });
  }
  for (const property of WRITABLE_PROPERTIES) {
    define(property, {
      get() {
        return video(this)[property];
      },
      set(value: unknown) {
        video(this)[property] = value;
      },
    });
  }
  for (const property of READONLY_PROPERTIES) {
    define(property, {
      get() {
        return video(this)[property];
      },
    });
  }
  for (const method of METHODS) {
    define(method, {
      writable: true,
      value(...args: unknown[]) {
        return (video(this)[method] as (...args: unknown[]) => unknown).apply(videoOf(this as HTMLElement), args);
      },
    });
  }
}

/** Fires the video's media events again on `target`, for as long as both live (the video is the element's own). */
export function forwardMediaEvents(video: HTMLVideoElement, target: HTMLElement): void {
  const forward = (event: Event) => target.dispatchEvent(new Event(event.type, { cancelable: event.cancelable }));
  for (const type of MEDIA_EVENTS) video.addEventListener(type, forward);
}
