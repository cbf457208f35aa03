// The load goes only where it is pointed, and by default only to this machine: a rehearsal aimed
// at a production host by a typo would be an attack. --allow-remote lifts the check.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export class TargetRefusedError extends Error {}

function isLoopbackAddress(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const lower = address.toLowerCase();
  return lower === '::1' || lower.startsWith('::ffff:127.');
}

/** Resolves each target's host; every address it has must be loopback unless `allowRemote`. */
export async function assertLoopbackTargets(urls: string[], allowRemote: boolean): Promise<void> {
  if (allowRemote) return;
  for (const url of urls) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
    if (addresses.length === 0) throw new TargetRefusedError(`cannot resolve ${host} (in ${url})`);
    const remote = addresses.find((address) => !isLoopbackAddress(address));
    if (remote !== undefined) {
      throw new TargetRefusedError(`${url} resolves to ${remote}, which is not loopback: pass --allow-remote to load a remote host`);
    }
  }
}
