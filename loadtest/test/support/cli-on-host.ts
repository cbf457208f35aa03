// The CLI as one load generator of many: its own process in a fresh network namespace, linked to
// a test network's bridge like a machine of its own (the shards test and the sharded bench).
import { spawn } from 'node:child_process';
import type { TestNetwork } from '../../src/network/test-hosts.ts';
import { CLI, type CliRun } from './local-stack.ts';

/** Runs the CLI in a fresh network namespace, once `network` has given that namespace its link. */
export async function runCliOnHost(network: TestNetwork, args: string[]): Promise<CliRun> {
  // The shell waits for eth0's address, then becomes the CLI: nothing touches the network before the link is there.
  const waitForLink = 'until ip -4 addr show eth0 2>/dev/null | grep -q inet; do sleep 0.05; done; exec "$0" "$@"';
  const child = spawn('unshare', ['--net', 'sh', '-c', waitForLink, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  await network.attach(child.pid!, { shape: null, unreachable: false });
  return exited;
}
