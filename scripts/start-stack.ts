/**
 * `npm start`: the whole local stack — tracker (embedded memory store) and origin (demo page,
 * SDK bundle, sample streams) — as two child processes, stopped together on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TSX_EXEC_ARGV } from '@swarmcast/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const trackerPort = process.env['TRACKER_PORT'] ?? '8000';
const originPort = process.env['ORIGIN_PORT'] ?? '8080';
const publicHost = process.env['PUBLIC_HOST'] ?? 'localhost';

interface Service {
  name: string;
  entry: string;
  port: string;
}

const services: Service[] = [
  { name: 'tracker', entry: 'tracker/src/main.ts', port: trackerPort },
  { name: 'origin', entry: 'origin/src/main.ts', port: originPort },
].filter((service) => existsSync(root + service.entry));

const children: ChildProcess[] = [];
let stopping = false;

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 5000);
  force.unref();
  Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null))).then(() =>
    process.exit(code),
  );
}

function start(service: Service): Promise<void> {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, service.entry], {
    cwd: root,
    env: { ...process.env, PORT: service.port },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  child.once('exit', (code) => {
    if (!stopping) {
      console.error(`${service.name} exited (code ${code}); stopping the stack`);
      stop(1);
    }
  });
  return new Promise((resolve) => {
    let announced = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        process.stdout.write(`[${service.name}] ${line}\n`);
        if (!announced && line.includes('listening')) {
          announced = true;
          resolve();
        }
      }
    });
  });
}

process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));

await Promise.all(services.map(start));
const lines = ['', 'Swarmcast is running:', `  tracker     ws://${publicHost}:${trackerPort}`, `  dashboard   http://${publicHost}:${trackerPort}/dashboard`];
if (services.some((service) => service.name === 'origin')) {
  lines.push(`  demo page   http://${publicHost}:${originPort}/`, `  live HLS    http://${publicHost}:${originPort}/live/sample/master.m3u8`);
}
lines.push('Press Ctrl-C to stop.', '');
console.log(lines.join('\n'));
