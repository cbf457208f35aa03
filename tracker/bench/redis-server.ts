import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, stopChild, track } from './tracker-process.ts';

/** A throwaway redis-server for the bench: never the machine's shared one on 6379. */
export async function startRedis(host = '127.0.0.1'): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort(host);
  const child = track(spawn('redis-server', ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  }));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ready = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host, () => socket.write('PING\r\n'));
      socket.once('data', (reply) => { socket.destroy(); resolve(reply.toString().startsWith('+PONG')); });
      socket.once('error', () => resolve(false));
    });
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `redis://${host}:${port}`, pid: child.pid ?? -1, stop: () => stopChild(child) };
}
