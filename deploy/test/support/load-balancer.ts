/**
 * The compose file's load balancer run by the machine's nginx, on loopback: the config files the
 * `lb` service mounts, with container paths moved into a temporary prefix, each upstream
 * `server <service>:<port>` pointed at a local process and each `listen` at a free port. The
 * files in deploy/nginx stay the one source of truth.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { acceptsConnections, freePort, track } from '@swarmcast/testkit';
import { mounts, ROOT, type ComposeService } from './compose.ts';

export const NGINX = '/usr/sbin/nginx';
const START_TIMEOUT_MS = 10_000;


export interface LoadBalancer {
  /** ws:// URL of the plain listener. */
  url: string;
  /** wss:// URL of the TLS listener, when the config has one. */
  tlsUrl: string | undefined;
  stop(): Promise<void>;
}

export interface LoadBalancerOptions {
  /** `<service>:<port>` as in the config → `127.0.0.1:<port>` of the process standing in for it. */
  upstreams: Record<string, string>;
  /** PEM files to put where the config's ssl_certificate and ssl_certificate_key point. */
  tls?: { cert: string; key: string };
}

export async function startLoadBalancer(lb: ComposeService, options: LoadBalancerOptions): Promise<LoadBalancer> {
  const prefix = mkdtempSync(join(tmpdir(), 'swarmcast-lb-'));
  // nginx's workers run as `nobody` when the test runs as root.
  chmodSync(prefix, 0o755);
  const [port, tlsPort] = [await freePort(), await freePort()];
  const mounted = mounts(lb);
  // The folders of mounted files too: an include glob names the folder a file is mounted into.
  const relocated = [...new Set(mounted.flatMap(({ container }) => [container, dirname(container)]))].sort((a, b) => b.length - a.length);
  const relocate = (text: string) => text.replace(new RegExp(relocated.map((path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g'), (path) => prefix + path);
  let hasTls = false;

  for (const { host, container } of mounted) {
    if (!host.endsWith('.conf')) continue;
    let text = readFileSync(ROOT + host, 'utf8')
      .replace(/^(\s*server )(\S+?)(\s[^;]*)?;/gm, (line, start: string, name: string, rest = '') => {
        const target = options.upstreams[name];
        return target ? `${start}${target}${rest};` : line;
      })
      .replace(/^(\s*listen )80;/gm, `$1127.0.0.1:${port};`)
      .replace(/^(\s*listen )443 ssl;/gm, () => {
        hasTls = true;
        return `    listen 127.0.0.1:${tlsPort} ssl;`;
      });
    for (const [, kind, path] of text.matchAll(/^\s*ssl_certificate(_key)? (\S+);/gm)) {
      if (!options.tls) throw new Error(`${host} needs a certificate: pass tls`);
      const target = relocate(path!);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, readFileSync(kind ? options.tls.key : options.tls.cert));
    }
    if (container === '/etc/nginx/nginx.conf') {
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${prefix}/temp/${kind};`).join('\n');
      text = `daemon off;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log;\n${text.replace(/^http \{$/m, `http {\n${temp}`)}`;
    }
    const target = prefix + container;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, relocate(text));
  }
  mkdirSync(`${prefix}/temp`);

  const child = spawn(NGINX, ['-p', prefix, '-e', `${prefix}/error.log`, '-c', `${prefix}/etc/nginx/nginx.conf`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  track(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => (existsSync(`${prefix}/error.log`) ? readFileSync(`${prefix}/error.log`, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await acceptsConnections(port)) || (hasTls && !(await acceptsConnections(tlsPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const message = `nginx did not start: ${stderr}${log()}`;
      await stop();
      throw new Error(message);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `ws://127.0.0.1:${port}`, tlsUrl: hasTls ? `wss://localhost:${tlsPort}` : undefined, stop };
}
