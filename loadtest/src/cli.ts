// swarmcast-loadtest <origin|tracker|event|simulate|merge> [options]: rehearse a live event against a Swarmcast
// deployment (by default the local stack of `npm start`).
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { chromiumMissing } from '@swarmcast/chromium';
import { defaultOptions as playerDefaults } from '@swarmcast/player-sdk/policy';
import { abrMix, fraction, instant, integer, ladder, msRange, nonNegative, oneOf, rate, seconds, shard, threshold, url, urlList } from './cli-options.ts';
import { CONNECT_MS } from './simulate/cell-simulation.ts';
import { TargetRefusedError } from './loopback-guard.ts';
import type { NetworkName } from './network/profiles.ts';
import { namespaceSupport } from './network/test-hosts.ts';
import { finishRun, type OutputOptions } from './report/run-outputs.ts';
import { formatSummary } from './report/summary-table.ts';
import type { LoadtestResult } from './result.ts';
import { mergeShards, MergeError } from './scenarios/event-merge.ts';
import { runScenario, type CommonOptions } from './run-scenario.ts';
import { WHOLE_AUDIENCE } from './scenarios/event-audience.ts';
import { needsTestHosts, runEventScenario, type EventScenarioOptions } from './scenarios/event-scenario.ts';
import { round } from './samples.ts';
import { runOriginScenario } from './scenarios/origin-scenario.ts';
import { runTrackerScenario, trackerStatsUrl } from './scenarios/tracker-scenario.ts';
import { runSimulation } from './simulate/run-simulation.ts';
import { sdkBundlePath } from './viewer/browser-page.ts';

const DEFAULT_ORIGIN = 'http://localhost:8080';
const DEFAULT_TRACKER = 'ws://localhost:8000';
/** Cap on any run, whatever --duration says: a forgotten load test must end by itself. */
const DEFAULT_MAX_DURATION_SEC = 600;
const EXIT_USAGE = 2;

class UsageError extends Error {}

/** What every run writes, and the thresholds it is judged by. */
function withOutputOptions(command: Command): Command {
  return command
    .option('--out <file>', 'write the JSON result to this file (schema: schema/result-v1.schema.json)')
    .option('--report <file>', 'write a self-contained HTML report with charts to this file')
    .addOption(new Option('--threshold <rule...>', 'fail the run (exit 1) unless a metric passes, k6 style: fetches_per_segment<=1.5, late_segments==0, offload>=0.9, startup_p95<=3s, fetches_per_segment{rendition:240p}<1.2').argParser(threshold))
    .option('--junit <file>', 'write the thresholds\' verdict as JUnit XML to this file')
    .option('--csv <file>', 'write the run\'s table as CSV to this file (event: one row per viewer)');
}

function withCommonOptions(command: Command): Command {
  return withOutputOptions(command)
    .addOption(new Option('--max-duration <s>', 'hard cap on the whole run, setup included').argParser(seconds(1, 86_400)).default(DEFAULT_MAX_DURATION_SEC))
    .option('--allow-remote', 'allow targets that are not on this machine (loopback)', false);
}

function checkDuration(options: { duration: number; maxDuration: number; ramp?: number }): void {
  if (options.duration > options.maxDuration) throw new UsageError(`--duration ${options.duration} exceeds --max-duration ${options.maxDuration}`);
  if (options.ramp !== undefined && options.ramp > options.duration) throw new UsageError(`--ramp ${options.ramp} exceeds --duration ${options.duration}`);
}

/** What `--browsers` needs on this machine, checked before anything starts. */
async function checkBrowsers(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) throw new UsageError(`--browsers needs Chromium: ${missing}`);
  try {
    await import('playwright-core');
  } catch (error) {
    throw new UsageError(`--browsers drives Chromium with playwright-core, which does not load: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    sdkBundlePath();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function exitWith(code: number): void {
  process.exitCode = code;
}

// src/cli.ts and the built dist/cli.js both sit one folder below the package's manifest.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('swarmcast-loadtest')
  .version(version)
  .description('Rehearse a live event: load the origin, the tracker, or run virtual P2P viewers of a live stream; or simulate one at any audience size.')
  .exitOverride()
  .showHelpAfterError('(add --help for usage)');

withCommonOptions(program.command('origin')
  .description('autocannon against the origin, requesting what HLS viewers request: the live playlist every target duration, the newest segment, spread over the renditions')
  .addOption(new Option('--origin <url>', 'origin base URL').argParser(url('http:', 'https:')).default(DEFAULT_ORIGIN))
  .option('--stream <name>', 'stream name (/live/<name>/master.m3u8)', 'sample')
  .option('--vod', 'request the VOD stream (/vod/<name>/…) instead of live', false)
  .addOption(new Option('--viewers <n>', 'simulated viewers').argParser(integer(1, 100_000)).default(100))
  .addOption(new Option('--duration <s>', 'seconds of load').argParser(seconds(1, 86_400)).default(30))
  .addOption(new Option('--ramp <s>', 'flash crowd: viewers arrive evenly over this many seconds (0: all at once)').argParser(seconds(0, 86_400)).default(0))
  .addOption(new Option('--mix <weights>', 'ABR mix as rendition=weight pairs, e.g. 240p=1,360p=2,720p=1 (default: even)').argParser(abrMix))
  .addOption(new Option('--timeout <s>', 'seconds before a request counts as an error').argParser(seconds(1, 120)).default(10)))
  .action(async (options: CommonOptions & { origin: string; stream: string; vod: boolean; viewers: number; duration: number; ramp: number; mix?: Map<string, number>; timeout: number }) => {
    checkDuration(options);
    const parameters = { origin: options.origin, stream: options.stream, vod: options.vod, viewers: options.viewers, durationSec: options.duration, rampSec: options.ramp, mix: options.mix ? Object.fromEntries(options.mix) : 'even', timeoutSec: options.timeout };
    exitWith(await runScenario(options, {
      scenario: 'origin',
      targets: [options.origin],
      parameters,
      plannedSec: options.duration,
      run: (budget, progress) => runOriginScenario({ ...options, durationSec: options.duration, rampSec: options.ramp, mix: options.mix, timeoutSec: options.timeout }, budget, progress),
    }));
  });

withCommonOptions(program.command('tracker')
  .description('N WebSocket peers across S swarms announcing with offers, answering the offers relayed to them; several worker processes and 127.0.0.x source addresses')
  .addOption(new Option('--tracker <url...>', 'tracker WebSocket URL(s); peers of each swarm are spread over all of them').argParser(urlList('ws:', 'wss:')))
  .addOption(new Option('--peers <n>', 'WebSocket peers (one socket each)').argParser(integer(1, 200_000)).default(1000))
  .addOption(new Option('--swarms <n>', 'swarms (info_hashes) the peers are spread over').argParser(integer(1, 100_000)).default(10))
  .addOption(new Option('--mode <mode>', 'cadence: announce every --announce-interval s, as viewers do; closed-loop: announce again as soon as answered (capacity)').argParser(oneOf('cadence', 'closed-loop')).default('cadence'))
  .addOption(new Option('--announce-interval <s>', 'cadence mode: seconds between a peer\'s announces').argParser(seconds(1, 3600)).default(120))
  .addOption(new Option('--offers <n>', 'offers (and numwant) per announce, as p2p-media-loader sends').argParser(integer(0, 10)).default(5))
  .addOption(new Option('--processes <n>', 'load generator processes (default: one per 8,000 peers, at least 2)').argParser(integer(1, 64)))
  .addOption(new Option('--peers-per-address <n>', 'peers sharing one 127.0.x.y source address (keep under the tracker\'s MAX_CONNECTIONS_PER_IP)').argParser(integer(1, 20_000)).default(40))
  .addOption(new Option('--coordination-share <fraction>', 'share of the peers that also poll the tracker\'s GET /coordination every 5 s, as players do (keep the tracker\'s COORDINATION_REQUESTS_PER_MINUTE above 12 × pollers per address)').argParser(fraction).default(0))
  .addOption(new Option('--duration <s>', 'seconds of load after every peer has joined').argParser(seconds(1, 86_400)).default(30)))
  .action(async (options: CommonOptions & { tracker?: string[]; peers: number; swarms: number; mode: 'cadence' | 'closed-loop'; announceInterval: number; offers: number; processes?: number; peersPerAddress: number; coordinationShare: number; duration: number }) => {
    checkDuration(options);
    const trackers = options.tracker ?? [DEFAULT_TRACKER];
    const processes = options.processes ?? Math.max(2, Math.ceil(options.peers / 8000));
    if (options.peers / processes > 15_000) throw new UsageError(`--processes ${processes}: more than 15,000 peers per process would pass the 20,000 open files a process may have`);
    const parameters = { trackers, peers: options.peers, swarms: options.swarms, mode: options.mode, announceIntervalSec: options.mode === 'cadence' ? options.announceInterval : 0, offers: options.offers, processes, peersPerAddress: options.peersPerAddress, coordinationShare: options.coordinationShare, durationSec: options.duration };
    exitWith(await runScenario(options, {
      scenario: 'tracker',
      targets: [...trackers, ...trackers.map(trackerStatsUrl)],
      parameters,
      plannedSec: options.duration,
      run: (budget, progress) => runTrackerScenario({ ...parameters, sourceAddresses: Math.ceil(options.peers / options.peersPerAddress) }, budget, progress),
    }));
  });

withCommonOptions(program.command('event')
  .description('V virtual viewers of one live stream, each a real p2p-media-loader-core with real WebRTC in its own process, following the live playlist with Swarmcast\'s policy; optionally each on a host of its own (network namespace) with a shaped link; run it where WebRTC can only reach loopback')
  .addOption(new Option('--origin <url>', 'origin base URL').argParser(url('http:', 'https:')).default(DEFAULT_ORIGIN))
  .addOption(new Option('--src <url>', 'the live master playlist on any HTTP(S) server (a CDN, a packager) instead of --origin\'s stream; without our origin\'s /stats, origin fetches are counted from the viewers\' own reports').argParser(url('http:', 'https:')).conflicts(['origin', 'stream']))
  .addOption(new Option('--tracker <url...>', 'tracker WebSocket URL(s)').argParser(urlList('ws:', 'wss:')))
  .option('--stream <name>', 'live stream name (/live/<name>/master.m3u8)', 'sample')
  .option('--rendition <name>', 'rendition every viewer plays (default: the master playlist\'s first)')
  .addOption(new Option('--renditions <which>', 'all: spread the viewers round-robin over every rendition of the ladder (each is its own swarm)').argParser(oneOf('all')).conflicts('rendition'))
  .addOption(new Option('--viewers <n>', 'virtual viewers (one process each, ~60 MB and a share of a core)').argParser(integer(1, 200)).default(4))
  .addOption(new Option('--duration <s>', 'seconds from the first viewer\'s start to the end').argParser(seconds(5, 86_400)).default(60))
  .addOption(new Option('--ramp <s>', 'viewers join evenly over this many seconds').argParser(seconds(0, 86_400)).default(10))
  .addOption(new Option('--live-latency <s>', 'playhead distance behind the live edge (the SDK\'s liveLatency)').argParser(seconds(1, 120)).default(playerDefaults.liveLatency))
  .addOption(new Option('--http-fallback-buffer <s>', 'buffer below which a segment comes over HTTP (the SDK\'s httpFallbackBuffer)').argParser(seconds(0.5, 60)).default(playerDefaults.httpFallbackBuffer))
  .addOption(new Option('--policy <name>', 'peer-first (Swarmcast) or library-default (p2p-media-loader\'s own, for comparison)').argParser(oneOf('peer-first', 'library-default')).default(playerDefaults.policy))
  .addOption(new Option('--coordination <on|off>', 'peer-first: follow the tracker\'s seeding coordination (off: each viewer seeds on its own, as before it existed)').argParser(oneOf('on', 'off')).default(playerDefaults.coordination ? 'on' : 'off'))
  .option('--no-p2p', 'HTTP only: measure the baseline instead of computing it')
  .addOption(new Option('--network <profile>', 'lan: loopback, unshaped; residential / mobile: each viewer on its own host with a link drawn from the profile (see the loadtest README)').argParser(oneOf<NetworkName>('lan', 'residential', 'mobile')).default('lan'))
  .addOption(new Option('--uplink <rate>', 'every viewer\'s uplink, e.g. 2mbit or 800kbit (own hosts)').argParser(rate))
  .addOption(new Option('--downlink <rate>', 'every viewer\'s downlink, e.g. 20mbit (own hosts)').argParser(rate))
  .addOption(new Option('--unreachable <fraction>', 'share of viewers that cannot make WebRTC connections (symmetric NAT, no TURN): their UDP and traffic to other viewers is dropped; they play over HTTP').argParser(fraction).default(0))
  .addOption(new Option('--cellular <fraction>', 'share of viewers on cellular connections: they take segments from peers and upload nothing (the player\'s upload policy on cellular)').argParser(fraction).default(0))
  .addOption(new Option('--browsers <k>', 'k of the viewers are real Chromium pages (CHROMIUM_PATH, default /usr/bin/chromium, driven by playwright-core) playing the player SDK\'s own bundle, spread evenly over the audience; the report gives every figure by kind of viewer').argParser(integer(0, 200)).default(0))
  .addOption(new Option('--churn <per-minute>', 'viewers per minute that leave (killed, no goodbye) after the ramp, each replaced by a newcomer').argParser(nonNegative(600)).default(0))
  .addOption(new Option('--compare <baseline>', 'http-only: run the same audience again with P2P off and report both, from the origin\'s counters').argParser(oneOf('http-only')))
  .addOption(new Option('--seed <n>', 'seed of the audience\'s draws (links, who leaves), for repeatable runs').argParser(integer(0, 2 ** 31)).default(1))
  .addOption(new Option('--shard <i/n>', 'run shard i (from 0) of n load generators: the viewers n, n + k·… of the audience the other options describe, and their churn; `merge` reports the shards as one run').argParser(shard))
  .addOption(new Option('--start-at <time>', 'ISO 8601 time at which the audience starts, the same for every shard (a shard up after it refuses to run)').argParser(instant)))
  .action(async (options: CommonOptions & { shard?: { index: number; count: number }; startAt?: number; src?: string; origin: string; tracker?: string[]; stream: string; rendition?: string; renditions?: 'all'; viewers: number; duration: number; ramp: number; liveLatency: number; httpFallbackBuffer: number; policy: 'peer-first' | 'library-default'; coordination: 'on' | 'off'; p2p: boolean; network: NetworkName; uplink?: number; downlink?: number; unreachable: number; cellular: number; browsers: number; churn: number; compare?: 'http-only'; seed: number }) => {
    checkDuration(options);
    if (options.browsers > options.viewers) throw new UsageError(`--browsers ${options.browsers} exceeds --viewers ${options.viewers}: the browsers are part of the audience`);
    if (options.browsers > 0) await checkBrowsers();
    if (options.unreachable + options.cellular > 1) throw new UsageError(`--unreachable ${options.unreachable} and --cellular ${options.cellular} are shares of one audience: together at most 1`);
    if (options.httpFallbackBuffer >= options.liveLatency) throw new UsageError(`--http-fallback-buffer ${options.httpFallbackBuffer} must be lower than --live-latency ${options.liveLatency}`);
    if (options.compare && !options.p2p) throw new UsageError('--compare http-only needs a P2P run to compare: drop --no-p2p');
    if (options.shard && options.compare) throw new UsageError('--compare http-only runs a second pass when the first ends, which shards cannot agree on: run the control as its own sharded run with --no-p2p');
    if (options.shard && options.shard.index >= options.viewers) throw new UsageError(`--shard ${options.shard.index}/${options.shard.count}: the audience has only ${options.viewers} viewers`);
    const waitSec = options.startAt === undefined ? 0 : (options.startAt - Date.now()) / 1000;
    if (waitSec < 0) throw new UsageError(`--start-at is ${round(-waitSec)} s past: a shard that starts late would skew the audience's schedule`);
    if (waitSec > 86_400) throw new UsageError('--start-at is more than a day ahead');
    // The cap bounds the run, not the wait for its start.
    options.maxDuration += waitSec;
    const trackers = options.tracker ?? [DEFAULT_TRACKER];
    const src = options.src ? new URL(options.src) : null;
    const scenario: EventScenarioOptions = {
      // Our origin at --src's host still has its /stats, under the stream its path names.
      origin: src ? src.origin : options.origin,
      src: src ? src.href : null,
      trackers,
      stream: src ? (/^\/live\/([^/]+)\//.exec(src.pathname)?.[1] ?? options.stream) : options.stream,
      rendition: options.renditions === 'all' ? { all: true } : options.rendition,
      viewers: options.viewers,
      durationSec: options.duration,
      rampSec: options.ramp,
      liveLatency: options.liveLatency,
      httpFallbackBuffer: options.httpFallbackBuffer,
      policy: options.policy,
      coordination: options.coordination === 'on',
      p2p: options.p2p,
      network: options.network,
      uplinkKbit: options.uplink,
      downlinkKbit: options.downlink,
      unreachable: options.unreachable,
      cellular: options.cellular,
      browsers: options.browsers,
      churnPerMinute: options.churn,
      compare: options.compare ?? null,
      seed: options.seed,
      shard: options.shard ?? WHOLE_AUDIENCE,
      startAtMs: options.startAt ?? null,
    };
    if (needsTestHosts(scenario)) {
      if (options.allowRemote) throw new UsageError('viewers on hosts of their own reach the origin and tracker through this namespace\'s loopback: --allow-remote cannot be combined with --network, --uplink, --downlink or --unreachable');
      // Exposing the hub's loopback servers to the viewers' hosts takes nftables even without --unreachable.
      const missing = await namespaceSupport({ firewall: true });
      if (missing !== null) throw new UsageError(`--network ${options.network}${scenario.unreachable > 0 ? ' / --unreachable' : ''} needs test hosts, which this machine cannot make: ${missing}`);
    }
    const parameters = { ...scenario, startAt: options.startAt === undefined ? null : new Date(options.startAt).toISOString(), rendition: options.renditions === 'all' ? 'all' : (options.rendition ?? 'first'), durationSec: options.duration, rampSec: options.ramp, liveLatencySec: options.liveLatency, httpFallbackBufferSec: options.httpFallbackBuffer };
    exitWith(await runScenario(options, {
      scenario: 'event',
      targets: [scenario.origin, ...trackers],
      parameters,
      plannedSec: options.duration * (options.compare ? 2 : 1) + waitSec,
      run: (budget, progress) => runEventScenario(scenario, budget, progress),
    }));
  });

withOutputOptions(program.command('simulate')
  .description('capacity planning without traffic: a model of a live event delivered peer-first, over a bitrate ladder, at any audience size, deciding with the tracker\'s and the player\'s own code; peer-first beside the HTTP-only control (see the loadtest README)')
  .addOption(new Option('--viewers <n>', 'viewers of the event').argParser(integer(1, 10_000_000)).default(10_000))
  .addOption(new Option('--duration <s>', 'simulated seconds of the event').argParser(seconds(10, 86_400)).default(600))
  .addOption(new Option('--segment-duration <s>', 'seconds per segment').argParser(seconds(1, 10)).default(2))
  .addOption(new Option('--live-latency <s>', 'playhead distance behind the live edge (the SDK\'s liveLatency)').argParser(seconds(1, 120)).default(playerDefaults.liveLatency))
  .addOption(new Option('--http-fallback-buffer <s>', 'buffer below which a segment comes over HTTP (the SDK\'s httpFallbackBuffer)').argParser(seconds(0.5, 60)).default(playerDefaults.httpFallbackBuffer))
  .addOption(new Option('--ladder <bitrates>', 'the renditions\' bitrates, lowest first, each its own swarm').argParser(ladder).default([400, 1200, 3000], '400k,1200k,3000k'))
  .addOption(new Option('--renditions <which>', 'all: spread the viewers round-robin over the ladder (default: all play its first rung)').argParser(oneOf('all')))
  .addOption(new Option('--network <profile>', 'the viewers\' links: lan (unlimited), residential or mobile (drawn per viewer, see the loadtest README)').argParser(oneOf<NetworkName>('lan', 'residential', 'mobile')).default('lan'))
  .addOption(new Option('--unreachable <fraction>', 'share of viewers that cannot make WebRTC connections: they fetch every segment from the origin').argParser(fraction).default(0))
  .addOption(new Option('--cellular <fraction>', 'share of viewers on cellular: they download from peers but never upload').argParser(fraction).default(0))
  .addOption(new Option('--churn <per-minute>', 'viewers of the whole audience per minute that leave without goodbye, each replaced by a newcomer').argParser(nonNegative(10_000_000)).default(0))
  .addOption(new Option('--ramp <s>', 'the audience joins one by one over this many seconds, as in an event rehearsal (0: it is watching from the start)').argParser(seconds(0, 86_400)).default(0))
  .addOption(new Option('--connect <ms-range>', 'a joiner\'s first peer connection opens this long after it joins, uniform in the range (a rehearsal prints its own: first peer connection)').argParser(msRange).default([...CONNECT_MS], CONNECT_MS.join('-')))
  .addOption(new Option('--cell-capacity <n>', 'members per cell at most (the tracker\'s MAX_PEERS_PER_SWARM)').argParser(integer(2, 1_000_000)).default(10_000))
  .addOption(new Option('--price-per-gb <usd>', 'origin (CDN) egress price per GB (10^9 bytes), USD').argParser(nonNegative(1000)).default(0.02))
  .addOption(new Option('--seed <n>', 'seed of every draw, for repeatable runs').argParser(integer(0, 2 ** 31)).default(1)))
  .action(async (options: OutputOptions & { viewers: number; duration: number; segmentDuration: number; liveLatency: number; httpFallbackBuffer: number; ladder: number[]; renditions?: 'all'; network: NetworkName; unreachable: number; cellular: number; churn: number; ramp: number; connect: [number, number]; cellCapacity: number; pricePerGb: number; seed: number }) => {
    if (options.httpFallbackBuffer >= options.liveLatency) throw new UsageError(`--http-fallback-buffer ${options.httpFallbackBuffer} must be lower than --live-latency ${options.liveLatency}`);
    if (options.unreachable + options.cellular > 1) throw new UsageError(`--unreachable ${options.unreachable} and --cellular ${options.cellular} are shares of one audience: together at most 1`);
    if (options.ramp >= options.duration) throw new UsageError(`--ramp ${options.ramp} must be shorter than --duration ${options.duration}`);
    if (options.duration < options.segmentDuration) throw new UsageError(`--duration ${options.duration} is shorter than one segment (--segment-duration ${options.segmentDuration})`);
    exitWith(await runSimulation({
      viewers: options.viewers,
      durationSec: options.duration,
      segmentSec: options.segmentDuration,
      liveLatencySec: options.liveLatency,
      httpFallbackBufferSec: options.httpFallbackBuffer,
      ladderKbit: options.ladder,
      allRenditions: options.renditions === 'all',
      network: options.network,
      unreachable: options.unreachable,
      cellular: options.cellular,
      churnPerMinute: options.churn,
      rampSec: options.ramp,
      connect: { range: options.connect },
      cellCapacity: options.cellCapacity,
      pricePerGb: options.pricePerGb,
      seed: options.seed,
    }, options));
  });

withOutputOptions(program.command('merge')
  .description('the JSON results of an event\'s shards (event --shard i/n, one per load generator) reported as the one run they were: the same figures, metrics and report one machine would have given')
  .argument('<results...>', 'the shards\' JSON results (--out of each), every shard once'))
  .action((files: string[], options: OutputOptions) => {
    const results = files.map((file) => {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as LoadtestResult;
      } catch (error) {
        throw new UsageError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    let merged: LoadtestResult;
    try {
      merged = mergeShards(results, files);
    } catch (error) {
      throw error instanceof MergeError ? new UsageError(error.message) : error;
    }
    exitWith(finishRun(merged, options, formatSummary(merged)));
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; everything else it reports is a usage error.
    exitWith(error.exitCode === 0 ? 0 : EXIT_USAGE);
  } else if (error instanceof UsageError || error instanceof TargetRefusedError) {
    process.stderr.write(`error: ${error.message}\n`);
    exitWith(EXIT_USAGE);
  } else {
    process.stderr.write(`swarmcast-loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    exitWith(1);
  }
}
// Whatever a scenario left open (keep-alive sockets, timers) must not keep a finished run alive.
process.exit(process.exitCode ?? 0);
