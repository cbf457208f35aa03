/**
 * The compose stack's Prometheus and Grafana: promtool accepts the config and the alert rules,
 * Prometheus scrapes every tracker instance and the origin directly (not through the load
 * balancer), Grafana's provisioning is mounted where its provider looks, and every metric a
 * dashboard panel or an alert queries is one that a running tracker (on Redis) or origin exports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildOrigin } from '@swarmcast/origin';
import { buildTracker, defaultConfig } from '@swarmcast/tracker';
import { id20, isAnnounceResponse, startRedis, WireClient, type RedisServer } from '@swarmcast/testkit';
import { mounts, readCompose, ROOT, servicesBuiltFrom } from './support/compose.ts';

const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
const ALERTS = 'deploy/prometheus/alerts.yml';
const DASHBOARD = 'deploy/grafana/dashboards/swarmcast.json';
const compose = readCompose();

/** Series Prometheus makes itself for every target, exported by no one. */
const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges,
 * Grafana variables, grouping clauses, offsets, numbers, functions and keywords are taken out.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\w+/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\d+[smhdwy]/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  const names = [...bare.matchAll(/[a-zA-Z_:][\w:]*(?!\s*\()/g)].map((m) => m[0]).filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
  // `[\w:]*(?!\()` backtracks into a function name's prefix: keep only whole words.
  return [...new Set(names.filter((name) => new RegExp(`(?<![\\w:])${name}(?![\\w:]|\\s*\\()`).test(bare)))];
}

/** Families from `# TYPE` lines: name → type. */
function families(exposition: string): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Whether `name` is a series of an exported family: itself, or a histogram's or summary's _bucket/_sum/_count. */
function exported(name: string, exports: Map<string, string>): boolean {
  if (exports.has(name)) return true;
  const suffix = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!suffix) return false;
  const type = exports.get(suffix[1]!);
  return type === 'histogram' || (type === 'summary' && suffix[2] !== 'bucket');
}

function queries(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(ROOT + DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
  const panels = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })));
  const rules = parse(readFileSync(ROOT + ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })));
  return [...panels, ...alerts];
}

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
  assert.notEqual(run.error?.message.includes('ENOENT'), true, "promtool is missing: install Debian's prometheus package (.ci/run does)");
  return run;
}

describe('Prometheus and Grafana in the compose stack', () => {
  test('promtool accepts the alert rules and the Prometheus config', () => {
    const rules = promtool('check', 'rules', ALERTS);
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
    assert.match(rules.stdout, /SUCCESS: 5 rules found/);
    const config = promtool('check', 'config', PROMETHEUS_CONFIG);
    assert.equal(config.status, 0, config.stdout + config.stderr);
  });

  test('the alerts cover offload, rebuffering, tracker refusals and Redis', () => {
    const exprs = queries().filter(({ where }) => where.startsWith('alert')).map(({ expr }) => expr).join('\n');
    for (const name of ['swarmcast_audience_offload_ratio', 'swarmcast_audience_rebuffer_ratio', 'swarmcast_tracker_rejections_total', 'swarmcast_redis_up']) assert.match(exprs, new RegExp(name), name);
    assert.match(exprs, /swarmcast_audience_rebuffer_ratio\) > 0\.01/, 'rebuffering over 1 %');
  });

  test('Prometheus scrapes every tracker instance and the origin by name, never the load balancer', () => {
    const config = parse(readFileSync(ROOT + PROMETHEUS_CONFIG, 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = (job: string) => config.scrape_configs.find((scrape) => scrape.job_name === job)!.static_configs.flatMap((group) => group.targets).sort();
    const trackerServices = servicesBuiltFrom(compose, 'tracker/Dockerfile');
    assert.ok(trackerServices.length >= 2);
    assert.deepEqual(targets('tracker'), trackerServices.map(([name, service]) => `${name}:${service.environment?.['PORT'] ?? defaultConfig.port}`).sort());
    const [[originName, origin]] = servicesBuiltFrom(compose, 'origin/Dockerfile') as [[string, { environment?: Record<string, string> }]];
    assert.deepEqual(targets('origin'), [`${originName}:${origin.environment?.['PORT'] ?? 8080}`]);
    assert.equal(JSON.stringify(config).includes('lb:'), false, 'no scrape through the load balancer');

    const prometheus = compose.services['prometheus']!;
    assert.match(prometheus.image ?? '', /^prom\/prometheus:v\d+\.\d+\.\d+$/, 'a pinned image');
    assert.ok(mounts(prometheus).some(({ host, container }) => host === 'deploy/prometheus' && container === '/etc/prometheus'));
  });

  test("Grafana's provisioning and dashboards are mounted where its provider reads them", () => {
    const grafana = compose.services['grafana']!;
    assert.match(grafana.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/, 'a pinned image');
    const mounted = mounts(grafana);
    assert.ok(mounted.some(({ host, container }) => host === 'deploy/grafana/provisioning' && container === '/etc/grafana/provisioning'));
    const provider = parse(readFileSync(ROOT + 'deploy/grafana/provisioning/dashboards/swarmcast.yml', 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const dashboards = mounted.find(({ container }) => container === provider.providers[0]!.options.path);
    assert.equal(dashboards?.host, 'deploy/grafana/dashboards');
    const datasource = parse(readFileSync(ROOT + 'deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8')) as { datasources: Array<{ uid: string; url: string }> };
    assert.equal(datasource.datasources[0]!.url, 'http://prometheus:9090');
    const dashboard = readFileSync(ROOT + DASHBOARD, 'utf8');
    for (const [, uid] of dashboard.matchAll(/"uid": "([^"]+)"/g)) assert.ok(uid === 'swarmcast' || uid === datasource.datasources[0]!.uid, `datasource ${uid}`);
  });

  test('the PromQL name extraction finds names and only names', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.99, sum by (le, kind) (rate(a_seconds_bucket{kind="x", le!="1"}[$__rate_interval]))) / clamp_min(sum(b_total offset 30m), 1e3) and on (stream) c > 0.01'),
      ['a_seconds_bucket', 'b_total', 'c'],
    );
  });

  describe('against running servers', () => {
    let redis: RedisServer;
    let exports: Map<string, string>;
    const closers: Array<() => Promise<unknown>> = [];
    before(async () => {
      redis = await startRedis();
      closers.push(() => redis.stop());
      const tracker = await buildTracker({ redisUrl: redis.url });
      const origin = buildOrigin();
      closers.push(() => tracker.close(), () => origin.close());
      const trackerUrl = await tracker.listen({ port: 0, host: '127.0.0.1' });
      const originUrl = await origin.listen({ port: 0, host: '127.0.0.1' });
      // Samples, not only families: an announce (with Redis commands) and a segment served.
      const client = await WireClient.connect(trackerUrl.replace(/^http/, 'ws'));
      closers.push(async () => client.close());
      const swarm = id20('observability-deploy');
      client.send({ action: 'announce', info_hash: swarm, peer_id: id20('observability-peer'), numwant: 0 });
      await client.next(isAnnounceResponse(swarm));
      assert.equal((await fetch(`${originUrl}/vod/sample/240p/seg_000.ts`)).status, 200);
      const scraped = await Promise.all([trackerUrl, originUrl].map(async (url) => (await fetch(`${url}/metrics`)).text()));
      exports = families(scraped.join('\n'));
    });
    after(async () => {
      for (const close of closers.reverse()) await close();
    });

    test('every metric a panel or an alert queries is exported by the tracker or the origin', () => {
      const unknown = queries().flatMap(({ where, expr }) => metricNames(expr).filter((name) => !SCRAPE_SERIES.has(name) && !exported(name, exports)).map((name) => `${where}: ${name}`));
      assert.deepEqual(unknown, []);
      assert.ok(queries().length > 20, 'the dashboard and the alerts were read');
    });

    test('a name nobody exports is caught (the check can fail)', () => {
      assert.equal(exported('swarmcast_tracker_announce_duration_seconds_bucket', exports), true);
      assert.equal(exported('swarmcast_audience_startup_seconds_bucket', exports), false, 'a summary has no buckets');
      assert.equal(exported('swarmcast_tracker_announces', exports), false);
      assert.equal(exported('swarmcast_nobody_exports_this_total', exports), false);
    });
  });
});
