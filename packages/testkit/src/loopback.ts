// WebRTC gathers ICE candidates on every interface: anything that opens peer connections runs only
// where traffic can reach nothing but loopback (a loopback-only network namespace, as .ci/run
// makes), unless explicitly allowed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { TSX_EXEC_ARGV } from '@swarmcast/process';

/** Whether this process sees no interface but loopback. */
export function inLoopbackNamespace(): boolean {
  return Object.values(networkInterfaces()).every((addresses) => (addresses ?? []).every((address) => address.internal));
}

/** A test's `skip` for Node WebRTC peers: the reason outside a loopback-only namespace, unless SWARMCAST_WEBRTC_ANY_INTERFACE=1. */
export const webrtcSkip: string | false =
  !inLoopbackNamespace() && process.env['SWARMCAST_WEBRTC_ANY_INTERFACE'] !== '1'
    ? "opens WebRTC connections: run in a loopback-only namespace (unshare --net bash -c 'ip link set lo up && …') or set SWARMCAST_WEBRTC_ANY_INTERFACE=1"
    : false;

/** Whether this process may make a network namespace (`unshare --net` needs root). */
export function canUnshare(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
}

/** Runs `node <TSX_EXEC_ARGV> <args>` inside a fresh loopback-only namespace; resolves with its exit code. */
export function rerunInLoopbackNamespace(args: string[]): Promise<number> {
  // Without this the child believes it is a subprocess of our runner and silently runs nothing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const command = [process.execPath, ...TSX_EXEC_ARGV, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('unshare', ['--net', 'bash', '-c', `ip link set lo up && exec ${command}`], { stdio: 'inherit', env });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
