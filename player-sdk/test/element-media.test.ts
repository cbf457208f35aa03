/**
 * `<swarmcast-player>` as a media element in Chromium: driven by media-chrome (from npm, its
 * browser build served from node_modules) through `slot="media"`; media events on the element;
 * every attribute reaching the player's options; bad attributes as `swarmcast-error`; the
 * package's custom-elements.json against what the element observes and the options it takes;
 * the README's element snippets played as written.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { inChromiumNamespace, launchChromium, pageUntil, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { defaultOptions } from '../src/options.ts';
import { LIVE_SRC_PATH, startStack, VOD_SRC_PATH, type Stack } from './harness.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** Where the README's media-chrome snippet loads it from; the test serves the same path from node_modules. */
const MEDIA_CHROME_CDN = 'https://cdn.jsdelivr.net/npm/media-chrome@4/';
/** Generous for a loaded 2-core machine: a live stream's first segments, then a few seconds of play. */
const PLAYS_WITHIN_MS = 60_000;
/** A file of the installed media-chrome, by its path in the package (async: a path it does not export rejects). */
const mediaChromeFile = async (path: string) => readFile(fileURLToPath(import.meta.resolve(`media-chrome/${path}`)));

interface Manifest {
  modules: Array<{
    declarations: Array<{
      tagName?: string;
      attributes: Array<{ name: string }>;
      members: Array<{ kind: 'field' | 'method'; name: string }>;
      events: Array<{ name: string }>;
    }>;
  }>;
}

const manifest = JSON.parse(await readFile(resolve(packageDir, 'custom-elements.json'), 'utf8')) as Manifest;
const declaration = manifest.modules.flatMap((module) => module.declarations).find((d) => d.tagName === 'swarmcast-player')!;

/** Events the element fires of its own (the stream's shape), not forwarded from its video. */
const ELEMENT_OWN_EVENTS = ['streamtypechange', 'targetlivewindowchange'];

/** The element's attribute for an option: its name in kebab case, but for the two the element always spelled its own way. */
const OPTION_ATTRIBUTE: Record<string, string> = { trackers: 'tracker', liveLatency: 'latency' };
const attributeFor = (option: string) => OPTION_ATTRIBUTE[option] ?? option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

await inChromiumNamespace('<swarmcast-player> as a media element in Chromium', fileURLToPath(import.meta.url), () => {
  describe('<swarmcast-player> as a media element (loopback namespace)', { timeout: 6 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    let context: BrowserContext;
    let src: string;
    before(async () => {
      stack = await startStack();
      src = `${stack.originUrl}${LIVE_SRC_PATH}`;
      browser = await launchChromium();
      context = await browser.browser.newContext();
      // media-chrome's browser build, as a CDN would serve it, from the installed package.
      await context.route(`${MEDIA_CHROME_CDN}**`, async (route) => {
        const path = new URL(route.request().url()).pathname.slice(new URL(MEDIA_CHROME_CDN).pathname.length);
        const body = await mediaChromeFile(path).catch(() => null);
        await (body ? route.fulfill({ body, contentType: 'text/javascript' }) : route.fulfill({ status: 404 }));
      });
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    /** A page on the origin with `html` as its whole document (scripts run, as in a page a site serves). */
    async function pageWith(html: string): Promise<Page> {
      const page = await context.newPage();
      await page.goto(`${stack.originUrl}/`);
      await page.setContent(html);
      return page;
    }

    /** A page where media-chrome's controller holds the element (live sample, muted) with `controls` in its bar; `script` runs after. */
    const mediaChromePage = (controls: string, script: string) =>
      pageWith(`<!doctype html>
        <script src="/sdk/swarmcast.min.js"></script>
        <script src="${MEDIA_CHROME_CDN}dist/iife/index.js"></script>
        <media-controller>
          <swarmcast-player slot="media" src="${src}" tracker="${stack.trackerUrl}" rtc-config='{"iceServers":[]}' muted></swarmcast-player>
          <media-control-bar>${controls}</media-control-bar>
        </media-controller>
        <script>${script}</script>`);

    test("media-chrome's <media-controller> drives the element through slot=\"media\": play, pause, volume, mute; media events reach the element", async () => {
      const page = await mediaChromePage(
        '<media-play-button></media-play-button><media-mute-button></media-mute-button><media-time-display></media-time-display>',
        `window.seen = {};
          const element = document.querySelector('swarmcast-player');
          for (const type of ['play', 'pause', 'playing', 'timeupdate', 'durationchange', 'volumechange', 'loadedmetadata', 'loadeddata', 'canplay', 'progress', 'emptied', 'loadstart'])
            element.addEventListener(type, (event) => { if (event.target === element) window.seen[type] = (window.seen[type] ?? 0) + 1; });`,
      );
      try {
        assert.ok(await pageUntil(page, `document.querySelector('media-controller').media === document.querySelector('swarmcast-player')`), 'media-chrome did not take the element as its media');
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').readyState >= 1`, PLAYS_WITHIN_MS), 'the stream never loaded');
        assert.equal(await page.evaluate(() => document.querySelector('swarmcast-player')!.paused), true, 'without autoplay the element waits to be played');
        assert.ok(await pageUntil(page, `document.querySelector('media-play-button').hasAttribute('mediapaused')`), 'the play button does not show paused');

        await page.click('media-play-button');
        assert.ok(await pageUntil(page, `!document.querySelector('swarmcast-player').paused`), 'the play button did not play the element');
        const started = await page.evaluate(() => document.querySelector('swarmcast-player')!.currentTime);
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').currentTime > ${started + 2}`, PLAYS_WITHIN_MS), 'currentTime does not advance');
        assert.ok(await pageUntil(page, `!document.querySelector('media-play-button').hasAttribute('mediapaused')`), 'the play button does not show playing');

        await page.click('media-play-button');
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').paused`), 'the play button did not pause the element');
        assert.ok(await pageUntil(page, `document.querySelector('media-play-button').hasAttribute('mediapaused')`), 'the play button does not show paused again');

        // Volume through the element: media-chrome reads it back after the element's volumechange.
        await page.evaluate(() => {
          document.querySelector('swarmcast-player')!.volume = 0.5;
        });
        assert.ok(await pageUntil(page, `document.querySelector('media-controller').getAttribute('mediavolume') === '0.5'`), 'media-chrome did not see the new volume');
        assert.equal(await page.evaluate(() => document.querySelector('swarmcast-player')!.shadowRoot!.querySelector('video')!.volume), 0.5);

        // The muted attribute muted it; the mute button unmutes it through the element, and mutes it again.
        assert.equal(await page.evaluate(() => document.querySelector('swarmcast-player')!.muted), true);
        await page.click('media-mute-button');
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').muted === false`), 'the mute button did not unmute');
        await page.click('media-mute-button');
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').muted === true`), 'the mute button did not mute');

        // A volumechange is queued as a task after the property changes: wait for the last one to reach the element.
        assert.ok(await pageUntil(page, '(window.seen.volumechange ?? 0) >= 3'), `volume, unmute and mute: ${JSON.stringify(await page.evaluate('window.seen'))}`);
        const seen = await page.evaluate(() => (window as unknown as { seen: Record<string, number> }).seen);
        for (const type of ['loadstart', 'play', 'pause', 'playing', 'timeupdate', 'durationchange', 'volumechange', 'loadedmetadata', 'loadeddata', 'canplay', 'progress']) {
          assert.ok((seen[type] ?? 0) > 0, `no ${type} event on the element: ${JSON.stringify(seen)}`);
        }
        assert.ok(seen['pause']! >= 1 && seen['play']! >= 1);
      } finally {
        await page.close();
      }
    });

    test('every option attribute reaches the player; properties reflect to attributes; load() and src restart it', async () => {
      const page = await pageWith('<!doctype html><script src="/sdk/swarmcast.min.js"></script>');
      try {
        const attributes: Record<string, string> = {
          src,
          tracker: `${stack.trackerUrl} ${stack.trackerUrl}/second`,
          'swarm-id': 'the-swarm',
          token: 'attribute-token',
          'token-refresh-seconds': '30',
          'origin-token': '',
          p2p: 'false',
          upload: 'false',
          integrity: 'hashes.json',
          coordination: 'false',
          policy: 'library-default',
          level: '1',
          'live-latency': '20',
          latency: '15',
          'http-fallback-buffer': '4',
          'rtc-config': '{"iceServers":[{"urls":"stun:127.0.0.1:3478"}]}',
          'hls-config': '{"maxBufferLength":7}',
          'stats-interval-ms': '500',
          telemetry: '{"url":"/collector","intervalMs":5000,"stream":"named"}',
          autoplay: '',
        };
        await page.evaluate((attrs) => {
          const element = document.createElement('swarmcast-player');
          for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
          document.body.append(element);
        }, attributes);
        // With a token (a callback reading the attribute) hls.js comes once the callback has answered.
        assert.ok(await pageUntil(page, `document.querySelector('swarmcast-player').player.hls !== null`), 'no hls.js instance');
        const got = await page.evaluate(() => {
          const { options, hls } = document.querySelector('swarmcast-player')!.player!;
          const token = typeof options.token === 'function' ? (options.token as () => string)() : options.token;
          return { options: { ...options, token }, maxBufferLength: hls!.config.maxBufferLength };
        });
        const base = `${stack.originUrl}/live/sample/`;
        assert.deepEqual(got.options, {
          src,
          trackers: [`${stack.trackerUrl}/`, `${stack.trackerUrl}/second`],
          swarmId: 'the-swarm',
          token: 'attribute-token',
          originToken: true,
          tokenRefreshSeconds: 30,
          p2p: false,
          upload: false,
          integrity: `${base}hashes.json`,
          liveLatency: 15,
          httpFallbackBuffer: 4,
          policy: 'library-default',
          coordination: false,
          level: 1,
          rtcConfig: { iceServers: [{ urls: 'stun:127.0.0.1:3478' }] },
          autoplay: true,
          statsIntervalMs: 500,
          hlsConfig: { maxBufferLength: 7 },
          telemetry: { url: `${stack.originUrl}/collector`, intervalMs: 5000, stream: 'named' },
        });
        assert.equal(got.maxBufferLength, 7, 'hls-config did not reach hls.js');
        // Every option the options module has, set above: a new option needs an attribute (and this list).
        assert.deepEqual(Object.keys(got.options).sort(), ['src', ...Object.keys(defaultOptions)].sort());

        const reflected = await page.evaluate(() => {
          const element = document.querySelector('swarmcast-player')!;
          const first = element.player;
          element.controls = true;
          element.loop = true;
          element.poster = '/poster.png';
          element.crossOrigin = 'anonymous';
          element.defaultMuted = true;
          element.playsInline = true;
          element.preload = 'metadata';
          const video = element.shadowRoot!.querySelector('video')!;
          const onVideo = ['controls', 'loop', 'poster', 'crossorigin', 'muted', 'playsinline', 'preload'].map((name) => [name, video.getAttribute(name)]);
          const samePlayer = element.player === first;
          element.controls = false;
          const controlsRemoved = !element.hasAttribute('controls') && !video.controls;
          element.load();
          const reloaded = element.player !== first && element.player !== null;
          const second = element.player;
          element.src = `${element.src}?again`;
          return { onVideo, samePlayer, controlsRemoved, reloaded, restarted: element.player !== second && element.player!.options.src.endsWith('?again'), muted: element.muted };
        });
        assert.deepEqual(reflected, {
          onVideo: [['controls', ''], ['loop', ''], ['poster', '/poster.png'], ['crossorigin', 'anonymous'], ['muted', ''], ['playsinline', ''], ['preload', 'metadata']],
          samePlayer: true,
          controlsRemoved: true,
          reloaded: true,
          restarted: true,
          muted: true,
        });
      } finally {
        await page.close();
      }
    });

    test('attributes that are not valid are a swarmcast-error with code options, naming the option', async () => {
      const page = await pageWith('<!doctype html><script src="/sdk/swarmcast.min.js"></script>');
      try {
        const errors = await page.evaluate((source) => {
          const results: Array<{ code: string; fatal: boolean; message: string; player: boolean }> = [];
          const element = document.createElement('swarmcast-player');
          element.addEventListener('swarmcast-error', (event) => results.push({ ...event.detail, player: element.player !== null }));
          element.setAttribute('src', source);
          element.setAttribute('rtc-config', '{"iceServers": [}');
          document.body.append(element);
          element.setAttribute('rtc-config', '{"iceServers":[]}');
          const recovered = element.player !== null;
          element.setAttribute('p2p', 'maybe');
          element.setAttribute('p2p', 'true');
          element.setAttribute('level', 'highest');
          return { results, recovered, playing: element.player !== null };
        }, src);
        const [json, p2p, level] = errors.results;
        assert.equal(errors.results.length, 3, JSON.stringify(errors.results));
        assert.equal(json!.code, 'options');
        assert.equal(json!.fatal, true);
        assert.match(json!.message, /option rtcConfig: the rtc-config attribute is not valid JSON \(/);
        assert.equal(json!.player, false);
        assert.equal(errors.recovered, true, 'valid JSON afterwards did not start a player');
        assert.match(p2p!.message, /option p2p: expected true or false/);
        assert.equal(p2p!.fatal, true);
        // A bad live value leaves the running player as it was.
        assert.match(level!.message, /option level/);
        assert.equal(level!.fatal, false);
        assert.equal(errors.playing, true);
      } finally {
        await page.close();
      }
    });

    test("media-chrome shows a live stream as live and a VOD as on-demand: the element's streamType and targetLiveWindow, and their events", async () => {
      const page = await mediaChromePage(
        '<media-live-button></media-live-button><media-time-range></media-time-range>',
        `window.shapes = [];
          const element = document.querySelector('swarmcast-player');
          for (const type of ['streamtypechange', 'targetlivewindowchange'])
            element.addEventListener(type, () => window.shapes.push([type, element.streamType, element.targetLiveWindow]));`,
      );
      try {
        assert.equal(await page.evaluate(() => document.createElement('swarmcast-player').streamType), 'unknown', 'an element with nothing loaded');
        const controller = `document.querySelector('media-controller')`;
        assert.ok(await pageUntil(page, `${controller}.getAttribute('mediastreamtype') === 'live'`, PLAYS_WITHIN_MS), 'media-chrome never showed the live stream as live');
        const live = await page.evaluate(() => {
          const element = document.querySelector('swarmcast-player')!;
          return { streamType: element.streamType, targetLiveWindow: element.targetLiveWindow, finiteDuration: Number.isFinite(element.duration) };
        });
        assert.deepEqual(live, { streamType: 'live', targetLiveWindow: 0, finiteDuration: true }, 'hls.js gives a live stream a finite duration: the element says live itself');
        assert.equal(await page.evaluate(`${controller}.getAttribute('mediatargetlivewindow')`), '0');

        await page.evaluate((vod) => document.querySelector('swarmcast-player')!.setAttribute('src', vod), `${stack.originUrl}${VOD_SRC_PATH}`);
        assert.ok(await pageUntil(page, `${controller}.getAttribute('mediastreamtype') === 'on-demand'`, PLAYS_WITHIN_MS), 'media-chrome never showed the VOD as on-demand');
        assert.equal(await page.evaluate(() => Number.isNaN(document.querySelector('swarmcast-player')!.targetLiveWindow)), true);
        const shapes = await page.evaluate(() => (window as unknown as { shapes: Array<[string, string, number | null]> }).shapes);
        const streamTypes = shapes.filter(([type]) => type === 'streamtypechange').map(([, streamType]) => streamType);
        assert.deepEqual(streamTypes.filter((type) => type !== 'unknown'), ['live', 'on-demand'], `streamtypechange events: ${JSON.stringify(shapes)}`);
        assert.ok(shapes.some(([type, , window]) => type === 'targetlivewindowchange' && window === 0), `targetlivewindowchange events: ${JSON.stringify(shapes)}`);
      } finally {
        await page.close();
      }
    });

    test("custom-elements.json lists every attribute the element observes, every option, and the element's API", async () => {
      const page = await pageWith('<!doctype html><script src="/sdk/swarmcast.min.js"></script><swarmcast-player></swarmcast-player>');
      try {
        const listed = declaration.attributes.map((attribute) => attribute.name).sort();
        const observed = await page.evaluate(() => [...(customElements.get('swarmcast-player') as unknown as { observedAttributes: string[] }).observedAttributes].sort());
        assert.deepEqual(listed, observed);
        for (const option of ['src', ...Object.keys(defaultOptions)]) assert.ok(listed.includes(attributeFor(option)), `option ${option} has no attribute ${attributeFor(option)} in the manifest`);

        const api = await page.evaluate(
          ({ members, events, ELEMENT_OWN_EVENTS }) => {
            const element = document.querySelector('swarmcast-player')!;
            const video = element.shadowRoot!.querySelector('video')!;
            const fired: string[] = [];
            for (const type of events) {
              element.addEventListener(type, () => fired.push(type));
              // Media events come from the video; the swarmcast-* ones from the player, the stream's shape from the element (tested below).
              if (!type.startsWith('swarmcast-') && !ELEMENT_OWN_EVENTS.includes(type)) video.dispatchEvent(new Event(type));
            }
            return {
              missing: members.filter((member) => !(member.name in element) || (member.kind === 'method') !== (typeof (element as unknown as Record<string, unknown>)[member.name] === 'function')),
              fired,
            };
          },
          { members: declaration.members, events: declaration.events.map((event) => event.name), ELEMENT_OWN_EVENTS },
        );
        assert.deepEqual(api.missing, [], 'members the manifest lists that the element lacks');
        const media = declaration.events.map((event) => event.name).filter((name) => !name.startsWith('swarmcast-') && !ELEMENT_OWN_EVENTS.includes(name));
        assert.deepEqual(api.fired, media, 'media events the manifest lists that the element does not fire');
      } finally {
        await page.close();
      }
    });

    test("the README's element snippets play as written", async () => {
      const readme = await readFile(resolve(packageDir, 'README.md'), 'utf8');
      const snippets = [...readme.matchAll(/```html\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((html) => html.includes('<swarmcast-player'));
      assert.ok(snippets.length >= 2, `expected the install and media-chrome snippets, found ${snippets.length}`);
      for (const snippet of snippets) {
        const html = snippet.replaceAll('https://your-origin', stack.originUrl).replaceAll('wss://your-tracker', stack.trackerUrl);
        const page = await pageWith(`<!doctype html>${html}`);
        try {
          assert.ok(
            await pageUntil(page, `(() => { const e = document.querySelector('swarmcast-player'); return e && !e.paused && e.currentTime > 2; })()`, PLAYS_WITHIN_MS),
            `this snippet did not play:\n${snippet}`,
          );
        } finally {
          await page.close();
        }
      }
    });
  });
});
