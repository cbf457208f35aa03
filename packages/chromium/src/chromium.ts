// Headless Debian Chromium as Swarmcast drives it: playwright-core talks to the machine's browser
// (it downloads none). Only types come from playwright here, so importing this module loads no
// playwright: the load tester imports playwright-core itself, and only when a run has browsers.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** DESIGN.md's flags: no background traffic, no QUIC, loopback allowed in peer connections. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Every viewer is a foreground viewer: no timer throttling or media suspension for pages Chromium thinks are hidden.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--disable-background-media-suspend',
];

/** A browser context whose pages on `origin` open WebRTC connections over loopback. */
export async function newWebRtcContext(browser: Browser, origin: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  // Chromium offers a loopback ICE candidate only to pages allowed to capture media.
  await context.grantPermissions(['camera', 'microphone'], { origin });
  return context;
}

/** Why Chromium cannot run on this machine, or false. */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH)`;
}
