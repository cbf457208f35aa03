/**
 * docker-compose.yml checked without a Docker engine: every build has its Dockerfile and its
 * sources, every variable set on a service is one it reads, ports, healthchecks and the load
 * balancer's upstreams match what the services serve.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildOrigin, loadConfig as loadOriginConfig, originEnv } from '@swarmcast/origin';
import { buildTracker, configEnv, defaultConfig, loadConfig as loadTrackerConfig } from '@swarmcast/tracker';
import {
  containerPorts,
  healthcheckUrl,
  hostEnv,
  mounts,
  portOf,
  readCompose,
  ROOT,
  servicesBuiltFrom,
  withOverlay,
  type ComposeService,
} from './support/compose.ts';

const compose = readCompose();
const tlsCompose = withOverlay(compose, readCompose('deploy/docker-compose.tls.yml'));
const trackers = servicesBuiltFrom(compose, 'tracker/Dockerfile');
const origins = servicesBuiltFrom(compose, 'origin/Dockerfile');
const lb = compose.services['lb']!;
const lbConfig = (file: string) => readFileSync(ROOT + file, 'utf8');

const servicePort = (service: ComposeService, fallback: number) => Number(service.environment?.['PORT'] ?? fallback);

describe('docker-compose.yml', () => {
  test('has redis, two trackers, the load balancer and the origin, each with a healthcheck and a restart policy', () => {
    assert.ok(compose.services['redis']);
    assert.ok(trackers.length >= 2, 'at least two tracker instances');
    assert.equal(origins.length, 1);
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.profiles) {
        assert.ok(service.healthcheck?.test.length, `${name} has a healthcheck`);
        assert.equal(service.restart, 'unless-stopped', `${name} restarts`);
      }
      for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(compose.services[dependency], `${name} depends on ${dependency}, which exists`);
    }
  });

  test('every build context has its Dockerfile, and every file a Dockerfile copies exists', () => {
    for (const [name, service] of [...trackers, ...origins]) {
      const dockerfile = ROOT + service.build!.context + '/' + service.build!.dockerfile;
      assert.ok(existsSync(dockerfile), `${name}: ${dockerfile}`);
      const text = readFileSync(dockerfile, 'utf8');
      assert.match(text, /^FROM \$\{NODE_IMAGE\}/m);
      assert.match(text, /^ARG NODE_IMAGE=node:20-/m, 'Node 20 base image');
      assert.match(text, /^USER node$/m, 'runs as the unprivileged node user');
      assert.match(text, /npm ci --omit=dev .*-w (tracker|origin)/);
      for (const [, sources] of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const source of sources!.split(' ')) assert.ok(existsSync(ROOT + source), `${name}: COPY ${source}`);
      }
    }
  });

  test('every variable set on a service is one that service reads', () => {
    const readByTracker = new Set(Object.values(configEnv));
    const readByOrigin = new Set<string>(originEnv);
    // Third-party images (grafana's GF_* settings) document their own variables.
    for (const [name, service] of Object.entries(tlsCompose.services).filter(([, service]) => service.build)) {
      const reads = service.build?.dockerfile === 'tracker/Dockerfile' ? readByTracker : service.build?.dockerfile === 'origin/Dockerfile' ? readByOrigin : new Set();
      for (const variable of Object.keys(service.environment ?? {})) assert.ok(reads.has(variable), `${name} sets ${variable}, which it does not read`);
    }
    for (const [, service] of trackers) {
      const config = loadTrackerConfig(hostEnv(service));
      assert.equal(config.trustProxy, 1, 'trackers believe the one proxy in front, the load balancer');
      assert.ok(config.redisUrl?.startsWith('redis://redis:'), 'trackers share swarms through the redis service');
    }
    assert.ok(existsSync(loadOriginConfig(hostEnv(origins[0]![1])).origin.mediaDir));
  });

  test('ports and healthcheck URLs are the ones the services listen on and serve', async () => {
    for (const [name, service] of trackers) {
      const port = servicePort(service, defaultConfig.port);
      assert.deepEqual(containerPorts(service), [port], `${name} exposes its PORT`);
      assert.equal(portOf(healthcheckUrl(service)), port);
    }
    const [originName, origin] = origins[0]!;
    const originPort = servicePort(origin, loadOriginConfig({}).port);
    assert.deepEqual(containerPorts(origin), [originPort], `${originName} publishes its PORT`);
    assert.equal(portOf(healthcheckUrl(origin)), originPort);
    assert.equal(portOf(healthcheckUrl(tlsCompose.services[originName]!)), originPort);
    assert.equal(healthcheckUrl(tlsCompose.services[originName]!).protocol, 'https:');

    const tracker = await buildTracker();
    const originApp = buildOrigin(loadOriginConfig(hostEnv(origin)).origin);
    try {
      for (const [, service] of trackers) assert.equal((await tracker.inject(healthcheckUrl(service).pathname)).statusCode, 200);
      // The load balancer's own check goes through it to a tracker.
      assert.equal((await tracker.inject(healthcheckUrl(lb).pathname)).statusCode, 200);
      assert.equal((await originApp.inject(healthcheckUrl(origin).pathname)).statusCode, 200);
    } finally {
      await tracker.close();
      await originApp.close();
    }
  });

  test('the load balancer forwards to every tracker instance, on one public port', () => {
    const nginxConf = mounts(lb).find(({ container }) => container === '/etc/nginx/nginx.conf');
    assert.ok(nginxConf, 'the LB config is mounted as nginx.conf');
    const conf = lbConfig(nginxConf.host);
    const upstream = /upstream trackers \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    const servers = [...upstream.matchAll(/^\s*server (\S+?)(?:\s[^;]*)?;/gm)].map((match) => match[1]).sort();
    assert.deepEqual(servers, trackers.map(([name, service]) => `${name}:${servicePort(service, defaultConfig.port)}`).sort());
    const listen = [...conf.matchAll(/^\s*listen (\d+)/gm)].map((match) => Number(match[1]));
    assert.deepEqual(listen, [80]);
    assert.deepEqual(containerPorts(lb), listen);
    assert.equal(portOf(healthcheckUrl(lb)), 80);
    assert.equal(lb.ports!.length, 1, 'one public port');
  });

  test('every file the load balancer config includes is mounted, in the plain and the TLS setup', () => {
    for (const setup of [compose, tlsCompose]) {
      const service = setup.services['lb']!;
      const mounted = mounts(service);
      const hostFileOf = (path: string) => {
        const mount = mounted.find(({ container }) => path === container || path.startsWith(`${container}/`));
        return mount && mount.host + path.slice(mount.container.length);
      };
      for (const { host } of mounted) assert.ok(existsSync(ROOT + host) || host === 'deploy/certs', `mounted ${host} exists`);
      for (const { host } of mounted.filter(({ host }) => host.endsWith('.conf'))) {
        for (const [, path] of lbConfig(host).matchAll(/^\s*include (\S+);/gm)) {
          if (path!.includes('*')) continue;
          assert.ok(hostFileOf(path!), `${host} includes ${path}, which is mounted`);
        }
        for (const [, path] of lbConfig(host).matchAll(/^\s*ssl_certificate(?:_key)? (\S+);/gm)) {
          assert.ok(hostFileOf(path!), `${host} reads ${path}, which is mounted`);
        }
      }
    }
    const tlsMount = mounts(tlsCompose.services['lb']!).find(({ host }) => host === 'deploy/nginx/tracker-lb-tls.conf');
    assert.match(tlsMount!.container, /^\/etc\/nginx\/tls\.d\/[^/]+\.conf$/, 'matches the include glob of tracker-lb.conf');
    assert.equal(containerPorts(tlsCompose.services['lb']!).length, 2);
  });
});
