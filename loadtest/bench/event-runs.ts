// What the event benchmarks share: running themselves inside a loopback-only network namespace
// (they open WebRTC connections and build test hosts), and one `event` run of the CLI against a
// fresh tracker and origin started in this process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOrigin } from '@swarmcast/origin';
import { canUnshare, rerunInLoopbackNamespace } from '@swarmcast/testkit';
import { buildTracker } from '@swarmcast/tracker';
import { namespaceSupport } from '../src/network/test-hosts.ts';
import type { LoadtestResult } from '../src/result.ts';

const IN_NAMESPACE = '--in-namespace';

/**
 * Reruns the script `self` inside a loopback-only namespace of its own unless it already is in one
 * (see DESIGN.md), and exits with that run's code; refuses where no namespace or test host can be made.
 */
export async function inLoopbackNamespace(self: string, name: string): Promise<void> {
  if (!process.argv.includes(IN_NAMESPACE)) {
    if (!canUnshare()) {
      process.stderr.write(`${name} needs a loopback-only network namespace (root and unshare)\n`);
      process.exit(2);
    }
    process.exit(await rerunInLoopbackNamespace([self, IN_NAMESPACE, ...process.argv.slice(2)]));
  }
  const missing = await namespaceSupport({ firewall: true });
  if (missing) {
    process.stderr.write(`${name}: ${missing}\n`);
    process.exit(2);
  }
}

/** The script's own arguments, without the namespace marker. */
export const scriptArgs = (): string[] => process.argv.slice(2).filter((arg) => arg !== IN_NAMESPACE);

const CLI = fileURLToPath(new URL('../bin/swarmcast-loadtest.mjs', import.meta.url));

/** `swarmcast-loadtest event <args> --out <out>` against a tracker and an origin started for it alone. */
export async function runEvent(args: string[], out: string, durationSec: number): Promise<LoadtestResult> {
  const origin = buildOrigin({ logger: false });
  const tracker = await buildTracker({ logger: false });
  try {
    const originUrl = (await origin.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    const trackerUrl = (await tracker.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws').replace(/\/$/, '');
    const all = ['event', '--origin', originUrl, '--tracker', trackerUrl, ...args, '--out', out, '--max-duration', String(3 * durationSec + 120)];
    // Not spawnSync: the tracker and origin answer from this process's event loop.
    const child = spawn(process.execPath, [CLI, ...all], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`event run failed (${code}): ${stderr}`);
    return JSON.parse(readFileSync(out, 'utf8')) as LoadtestResult;
  } finally {
    await Promise.all([tracker.close(), origin.close()]);
  }
}
