/**
 * docker-compose.yml (and the TLS overlay) as data, for the deployment tests: which services run
 * which image, their environment, ports, healthchecks and mounts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ComposeService {
  build?: { context: string; dockerfile?: string };
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  /** Services only `--profile` starts (the load tester's shards): they run once, not as a service. */
  profiles?: string[];
}

export interface Compose {
  services: Record<string, ComposeService>;
}

export function readCompose(file = 'docker-compose.yml'): Compose {
  return parse(readFileSync(ROOT + file, 'utf8'), { merge: true }) as Compose;
}

/** The base file with an overlay applied as `docker compose -f base -f overlay` merges it. */
export function withOverlay(base: Compose, overlay: Compose): Compose {
  const services: Record<string, ComposeService> = structuredClone(base.services);
  for (const [name, extra] of Object.entries(overlay.services)) {
    const service = (services[name] ??= {});
    for (const [key, value] of Object.entries(extra) as [keyof ComposeService, unknown][]) {
      const current = service[key];
      if (Array.isArray(current) && Array.isArray(value)) (service[key] as unknown[]) = [...current, ...value];
      else if (key === 'environment') service.environment = { ...current as Record<string, string>, ...value as Record<string, string> };
      else (service[key] as unknown) = value;
    }
  }
  return { services };
}

/** Services built from `dockerfile` (e.g. every tracker instance). */
export function servicesBuiltFrom(compose: Compose, dockerfile: string): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, service]) => service.build?.dockerfile === dockerfile);
}

/** `host:container[:mode]` mounts as host path (repository-relative) → container path. */
export function mounts(service: ComposeService): { host: string; container: string }[] {
  return (service.volumes ?? []).map((volume) => {
    const [host, container] = volume.split(':');
    return { host: host!.replace(/^\.\//, ''), container: container! };
  });
}

/** The URL a healthcheck command requests. */
export function healthcheckUrl(service: ComposeService): URL {
  const match = /https?:\/\/[^'"\s)]+/.exec((service.healthcheck?.test ?? []).join(' '));
  if (match) return new URL(match[0]);
  const https = /host: '([^']+)', port: (\d+), path: '([^']+)'/.exec((service.healthcheck?.test ?? []).join(' '));
  if (!https) throw new Error(`no URL in healthcheck ${JSON.stringify(service.healthcheck)}`);
  return new URL(`https://${https[1]}:${https[2]}${https[3]}`);
}

/** The container ports a service publishes or exposes. */
export function containerPorts(service: ComposeService): number[] {
  return [...(service.ports ?? []).map((port) => port.split(':').at(-1)!), ...(service.expose ?? [])].map(Number);
}

/** A URL's port, the scheme's default included. */
export function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/** The env a service sees, with container paths of its mounts mapped back to the repository. */
export function hostEnv(service: ComposeService): Record<string, string> {
  const env = { ...service.environment };
  for (const [name, value] of Object.entries(env)) {
    const mount = mounts(service).find(({ container }) => value === container || value.startsWith(`${container}/`));
    if (mount) env[name] = ROOT + mount.host + value.slice(mount.container.length);
  }
  return env;
}
