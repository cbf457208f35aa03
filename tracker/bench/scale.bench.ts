// Scale benchmark (issue 23, "real sockets at scale"): one stream of 1,000 / 10,000 / 100,000 real
// WebSocket peers over tracker instances on a 3-node Redis Cluster, and 15,000 on one instance's
// memory store: refusals, memory per peer, CPU per announce, coordination and relay latency, and how
// the stream's cells spread over the cluster's nodes.
// Run: npm run bench:scale -w tracker [-- --help]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PLAYER_POLL_MS } from '@swarmcast/loadtest/tracker-load';
import { defaultConfig } from '../src/config.ts';
import { describe, formatGrowth, formatNodes, formatSizes } from './scale-report.ts';
import { measureScale, type ScaleResult, type ScaleSetup } from './scale-run.ts';
import { runBench } from './run-bench.ts';

/** Sockets one process may hold: it may open 20,000 files here, and needs some for everything else. */
const MAX_SOCKETS_PER_PROCESS = 18_000;
/** Peers per load process: with their coordination polls, well under the limit above. */
const PEERS_PER_LOAD_PROCESS = 12_500;
/**
 * One cadence for every size, so that each size's peers do the same per peer and per-announce
 * costs compare. Sized for 100,000 peers on 2 cores: measured here (10,000 peers, 6 instances),
 * an announce with its 5 offers and 5 answers relayed costs the trackers ~1–1.6 ms of CPU, Redis
 * ~0.2 ms and the load processes ~0.3 ms; at 120 s, 100,000 peers ask ~830 announces/s, more
 * than 2 cores give beside their keepalive pings and polls.
 */
const ANNOUNCE_INTERVAL_SEC = 300;
/** Players poll every 5 s, a poll costing the trackers ~0.65 ms: a sample that 2 cores hold at 100,000 peers. */
const COORDINATION_SHARE = 0.02;

const USAGE = `Usage: npm run bench:scale -w tracker -- [options]
  --sizes N,N,…             stream sizes on the Redis Cluster (default 1000,10000,100000)
  --memory-peers N          stream size on one memory-store instance, 0 to skip (default 15000)
  --instances N             tracker instances on the cluster (default 6)
  --announce-interval S     ANNOUNCE_INTERVAL, and the peers' cadence (default ${ANNOUNCE_INTERVAL_SEC})
  --window S                measured seconds per size (default 60)
  --coordination-share F    share of the peers that poll /coordination (default ${COORDINATION_SHARE})
  --coordination-poll-ms N  between a poller's polls (default ${PLAYER_POLL_MS}, the SDK's)
  --ping-interval S         PING_INTERVAL (default ${defaultConfig.pingIntervalSec}, the tracker's)
  --connect-concurrency N   sockets opening at once, all load processes together (default 200)
  --warmup-peers N          peers joining and leaving before the idle readings (default 300)
  --out FILE                also write the JSON result there`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000,100000' },
      'memory-peers': { type: 'string', default: '15000' },
      instances: { type: 'string', default: '6' },
      'announce-interval': { type: 'string', default: String(ANNOUNCE_INTERVAL_SEC) },
      window: { type: 'string', default: '60' },
      'coordination-share': { type: 'string', default: String(COORDINATION_SHARE) },
      'coordination-poll-ms': { type: 'string', default: String(PLAYER_POLL_MS) },
      'ping-interval': { type: 'string' },
      'connect-concurrency': { type: 'string', default: '200' },
      'warmup-peers': { type: 'string', default: '300' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: string, raw: string | undefined, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${String(raw)}`);
    return value;
  };
  const share = Number(values['coordination-share']);
  if (!(share >= 0 && share <= 1)) throw new Error(`--coordination-share must be within [0, 1], got ${values['coordination-share']}`);
  const options = {
    sizes: values.sizes.split(',').map((size) => count('sizes', size, 2)).sort((a, b) => a - b),
    memoryPeers: count('memory-peers', values['memory-peers'], 0),
    instances: count('instances', values.instances, 1),
    announceIntervalSec: count('announce-interval', values['announce-interval'], 1),
    windowSec: count('window', values.window, 1),
    coordinationShare: share,
    coordinationPollMs: count('coordination-poll-ms', values['coordination-poll-ms'], 100),
    pingIntervalSec: values['ping-interval'] === undefined ? undefined : count('ping-interval', values['ping-interval'], 1),
    connectConcurrency: count('connect-concurrency', values['connect-concurrency'], 1),
    warmupPeers: count('warmup-peers', values['warmup-peers'], 0),
    out: values.out,
  };
  for (const size of options.sizes) {
    if (size / options.instances > MAX_SOCKETS_PER_PROCESS) {
      throw new Error(`--sizes ${size}: more than ${MAX_SOCKETS_PER_PROCESS} peers per instance; use --instances ${Math.ceil(size / MAX_SOCKETS_PER_PROCESS)} or more`);
    }
  }
  if (options.memoryPeers > MAX_SOCKETS_PER_PROCESS) throw new Error(`--memory-peers: at most ${MAX_SOCKETS_PER_PROCESS} on one instance`);
  return options;
}

type Options = ReturnType<typeof parseOptions>;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function setupOf(options: Options, store: ScaleSetup['store'], peers: number): ScaleSetup {
  return {
    store,
    peers,
    instances: store === 'cluster' ? options.instances : 1,
    loadProcesses: Math.max(2, Math.ceil(peers / PEERS_PER_LOAD_PROCESS)),
    announceIntervalSec: options.announceIntervalSec,
    windowSec: options.windowSec,
    coordinationShare: options.coordinationShare,
    coordinationPollMs: options.coordinationPollMs,
    connectConcurrency: options.connectConcurrency,
    warmupPeers: options.warmupPeers,
    pingIntervalSec: options.pingIntervalSec,
    log,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  log(`parameters ${JSON.stringify(options)}`);
  const setups = [
    ...options.sizes.map((peers) => setupOf(options, 'cluster', peers)),
    ...(options.memoryPeers > 0 ? [setupOf(options, 'memory', options.memoryPeers)] : []),
  ];
  const results: Array<ScaleResult & { wallSec: number }> = [];
  for (const setup of setups) {
    const startedAt = performance.now();
    const result = await measureScale(setup);
    results.push({ ...result, wallSec: (performance.now() - startedAt) / 1000 });
    log(`${describe(result)}\n  took ${Math.round(results.at(-1)!.wallSec)} s`);
  }

  console.log(`\nTracker at scale: one stream, peers announcing every ${options.announceIntervalSec} s (ANNOUNCE_INTERVAL) with 5 offers (~1 KB SDP each), ` +
    `answering every offer relayed to them and pinged every ${options.pingIntervalSec ?? defaultConfig.pingIntervalSec} s; ` +
    `${options.coordinationShare * 100} % of them polling /coordination every ${options.coordinationPollMs} ms; ` +
    `${options.windowSec} s measured per size after the join; Redis Cluster of 3 masters; refusals = failed joins + failure frames + trackers' rejections\n`);
  console.log(formatSizes(results));
  const clustered = results.filter((result) => result.store === 'cluster');
  if (clustered.length > 0) console.log(`\nRedis Cluster nodes, per size (keys and memory at the end of the window)\n\n${formatNodes(clustered)}`);
  if (clustered.length > 1) console.log(`\n${formatGrowth(clustered[0]!, clustered.at(-1)!)}`);
  console.log(`\n${results.map(describe).join('\n')}`);
  if (options.out) {
    writeFileSync(options.out, JSON.stringify({ parameters: options, results }, null, 2) + '\n');
    console.log(`\nJSON result written to ${options.out}`);
  }
}

runBench(main);
