// Tracker benchmark: our tracker against bittorrent-tracker's WebSocket server, each in its own
// process, under the same closed-loop WebTorrent signaling load from separate load processes;
// then the memory each needs per idle connected peer. Run: npm run bench -w tracker [-- --help]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LoadFleet, type FleetOptions } from '@swarmcast/loadtest/tracker-load';
import { readCpuSec, readMachineBusySec, readRssBytes } from '@swarmcast/loadtest/proc-stats';
import { startRedis } from '@swarmcast/testkit';
import { describeRun, formatTable, summarize, type IdleMeasurement, type MemoryReading, type LoadRound, type Targets } from './report.ts';
import { startTrackers, type TrackerGroup, type TrackerKind } from './tracker-group.ts';
import { runBench } from './run-bench.ts';

const TARGETS: Targets = { minCpuEfficiencyRatio: 3, maxRssPerIdlePeerKB: 4 };
/** Sockets per load process: each process may open 20,000 files here. */
const MAX_SOCKETS_PER_PROCESS = 8_000;
/** Our tracker's protective limits would throttle a benchmark that is all from 127.0.0.x. */
const UNLIMITED = '1000000';
/** The idle-memory phase first connects and disconnects this many peers, to warm up the code paths. */
const IDLE_WARMUP_PEERS = 1000;

const USAGE = `Usage: npm run bench -w tracker -- [options]
  --peers N            closed-loop peers (default 1000)
  --swarms N           swarms they are spread over (default 50)
  --duration S         measured seconds per round (default 12)
  --warmup S           unmeasured seconds before each round (default 3)
  --rounds N           load rounds per tracker, alternating ours/reference (default 2)
  --idle-peers N       connected peers for the memory measurement, 0 to skip (default 10000)
  --load-processes N   load generator processes (default 2)
  --offers N           offers (and numwant) per announce (default 5)
  --think-ms N         pause between a response and the next announce (default 0)
  --instances N        instances of our tracker, sharing swarms through Redis (needs --redis)
  --redis              our tracker on a throwaway redis-server (REDIS_URL)
  --candidate K        what runs as "ours": ours | reference (to check the harness) (default ours)
  --out FILE           write the JSON result there instead of stdout`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '1000' },
      swarms: { type: 'string', default: '50' },
      duration: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '2' },
      'idle-peers': { type: 'string', default: '10000' },
      'load-processes': { type: 'string', default: '2' },
      offers: { type: 'string', default: '5' },
      'think-ms': { type: 'string', default: '0' },
      instances: { type: 'string', default: '1' },
      redis: { type: 'boolean', default: false },
      candidate: { type: 'string', default: 'ours' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: keyof typeof values, min: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${String(values[name])}`);
    return value;
  };
  const candidate = values.candidate;
  if (candidate !== 'ours' && candidate !== 'reference') throw new Error(`--candidate must be ours or reference, got ${candidate}`);
  const options = {
    peers: count('peers', 2),
    swarms: count('swarms', 1),
    durationSec: count('duration', 1),
    warmupSec: count('warmup', 0),
    rounds: count('rounds', 1),
    idlePeers: count('idle-peers', 0),
    loadProcesses: count('load-processes', 1),
    offers: count('offers', 0),
    thinkMs: count('think-ms', 0),
    instances: count('instances', 1),
    redis: values.redis ?? false,
    candidate: candidate as TrackerKind,
    out: values.out,
  };
  if (options.instances > 1 && !options.redis) throw new Error('--instances > 1 needs --redis: separate memory stores would split every swarm');
  if (options.peers / options.loadProcesses > MAX_SOCKETS_PER_PROCESS) throw new Error(`--peers: at most ${MAX_SOCKETS_PER_PROCESS} per load process`);
  return options;
}

type Options = ReturnType<typeof parseOptions>;

/** How one side of the comparison is started: the reference always as one memory-backed instance. */
interface Contender {
  name: 'ours' | 'reference';
  kind: TrackerKind;
  instances: number;
  env: Record<string, string>;
  /** Give the instances a fresh redis-server of their own (REDIS_URL). */
  redis: boolean;
}

/** A contender's running processes; its store's CPU is part of what an announce costs. */
interface RunningContender extends TrackerGroup {
  storePids: number[];
}

/**
 * Start a contender, with a fresh Redis each time: peers of a stopped tracker may linger in
 * Redis until they expire, and the next run reuses the same peer ids.
 */
async function startContender(contender: Contender): Promise<RunningContender> {
  const redis = contender.redis ? await startRedis() : undefined;
  try {
    const trackers = await startTrackers({
      kind: contender.kind,
      count: contender.instances,
      env: { ...contender.env, ...(redis ? { REDIS_URL: redis.url } : {}) },
    });
    return {
      ...trackers,
      storePids: redis ? [redis.pid] : [],
      async stop() {
        await trackers.stop();
        await redis?.stop();
      },
    };
  } catch (error) {
    await redis?.stop();
    throw error;
  }
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const cpuOf = (pids: number[]) => pids.reduce((total, pid) => total + readCpuSec(pid), 0);
const rssOf = (pids: number[]) => pids.reduce((total, pid) => total + readRssBytes(pid), 0);

function loopFleetOptions(options: Options, urls: string[], peers: number, processes: number): FleetOptions {
  return {
    mode: 'loop',
    urls,
    processes,
    peers,
    swarms: options.swarms,
    offersPerAnnounce: options.offers,
    thinkMs: options.thinkMs,
    connectConcurrency: 200,
    connectTimeoutMs: 60_000,
  };
}

async function measureLoad(options: Options, contender: Contender, round: number): Promise<LoadRound> {
  const trackers = await startContender(contender);
  try {
    const { fleet, connected } = await LoadFleet.connect(loopFleetOptions(options, trackers.urls, options.peers, options.loadProcesses));
    try {
      if (connected.failed > 0) throw new Error(`${connected.failed} of ${options.peers} peers could not join ${contender.name}: ${connected.firstError}`);
      fleet.run();
      await sleep(options.warmupSec * 1000);
      await fleet.mark();
      const trackerCpu0 = cpuOf(trackers.pids);
      const storeCpu0 = cpuOf(trackers.storePids);
      const loadCpu0 = cpuOf(fleet.pids);
      const benchCpu0 = process.cpuUsage();
      const machineBusy0 = readMachineBusySec();
      const t0 = performance.now();
      await sleep(options.durationSec * 1000);
      const windowSec = (performance.now() - t0) / 1000;
      const trackerCpuSec = cpuOf(trackers.pids) - trackerCpu0;
      const storeCpuSec = cpuOf(trackers.storePids) - storeCpu0;
      const loadCpuSec = cpuOf(fleet.pids) - loadCpu0;
      const benchCpu = process.cpuUsage(benchCpu0);
      const otherCpuSec =
        readMachineBusySec() - machineBusy0 - trackerCpuSec - storeCpuSec - loadCpuSec - (benchCpu.user + benchCpu.system) / 1e6;
      const reports = await fleet.report();
      const result: LoadRound = { round, windowSec, trackerCpuSec, storeCpuSec, loadCpuSec, otherCpuSec, reports };
      const announces = reports.reduce((total, report) => total + report.announces, 0);
      const percent = (cpuSec: number, processes = 1) => `${Math.round((100 * cpuSec) / windowSec / processes)} %`;
      log(`${contender.name} round ${round}: ${Math.round(announces / windowSec)} announces/s, ` +
        `${Math.round(announces / (trackerCpuSec + storeCpuSec))} per CPU-s, tracker CPU ${percent(trackerCpuSec, contender.instances)}, ` +
        (contender.redis ? `Redis CPU ${percent(storeCpuSec)}, ` : '') +
        `load CPU ${percent(loadCpuSec, options.loadProcesses)} per process, rest of the machine ${percent(otherCpuSec)}`);
      return result;
    } finally {
      await fleet.stop();
    }
  } finally {
    await trackers.stop();
  }
}

function idleFleetOptions(options: Options, urls: string[], peers: number, firstPeer: number): FleetOptions {
  return {
    mode: 'idle',
    urls,
    processes: Math.max(options.loadProcesses, Math.ceil(peers / MAX_SOCKETS_PER_PROCESS)),
    peers,
    firstPeer,
    swarms: options.swarms,
    offersPerAnnounce: 0,
    thinkMs: 0,
    connectConcurrency: 200,
    connectTimeoutMs: 120_000,
  };
}

/**
 * Collect garbage twice, a moment apart (freed pages go back to the system lazily), then read
 * RSS — the store's too: with Redis, a peer's state lives there.
 */
async function settledMemory(trackers: RunningContender): Promise<MemoryReading> {
  await trackers.collectGarbage();
  await sleep(500);
  const heaps = await trackers.collectGarbage();
  await sleep(300);
  return {
    rssBytes: rssOf([...trackers.pids, ...trackers.storePids]),
    heapBytes: heaps.reduce((total, heap) => total + heap.memory.heapUsed + heap.memory.external, 0),
    youngGenerationBytes: heaps.reduce((total, heap) => total + heap.youngGenerationBytes, 0),
  };
}

async function measureIdle(options: Options, contender: Contender): Promise<IdleMeasurement> {
  const trackers = await startContender(contender);
  try {
    // The same path as the measurement (connect, announce, close), so that it is compiled and its
    // pools are allocated before the baseline, with little garbage left behind.
    const warmup = await LoadFleet.connect(idleFleetOptions(options, trackers.urls, IDLE_WARMUP_PEERS, 0));
    await warmup.fleet.stop();
    await sleep(1000);
    const before = await settledMemory(trackers);

    const { fleet, connected } = await LoadFleet.connect(idleFleetOptions(options, trackers.urls, options.idlePeers, IDLE_WARMUP_PEERS));
    try {
      await sleep(500);
      const after = await settledMemory(trackers);
      const result: IdleMeasurement = {
        peers: connected.connected,
        failed: connected.failed,
        firstError: connected.firstError,
        connectSec: connected.elapsedMs / 1000,
        before,
        after,
      };
      const perPeer = (key: keyof MemoryReading) => `${((after[key] - before[key]) / connected.connected / 1024).toFixed(2)} KB`;
      log(`${contender.name} idle: ${connected.connected} peers (${connected.failed} failed${connected.firstError ? `: ${connected.firstError}` : ''}) ` +
        `in ${result.connectSec.toFixed(1)} s; RSS ${(before.rssBytes / 2 ** 20).toFixed(1)} → ${(after.rssBytes / 2 ** 20).toFixed(1)} MiB; ` +
        `per peer: RSS ${perPeer('rssBytes')}, young generation ${perPeer('youngGenerationBytes')}, JS heap + external ${perPeer('heapBytes')}`);
      return result;
    } finally {
      await fleet.stop();
    }
  } finally {
    await trackers.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const contenders: Contender[] = [
    {
      name: 'ours',
      kind: options.candidate,
      instances: options.instances,
      env: {
        MAX_MESSAGES_PER_SECOND: UNLIMITED,
        MAX_CONNECTIONS_PER_IP: UNLIMITED,
        MAX_PEERS_PER_SWARM: UNLIMITED,
        // A closed loop re-announces at once, not every interval: more offers wait per peer than a viewer's.
        MAX_PENDING_OFFERS_PER_PEER: UNLIMITED,
      },
      redis: options.redis,
    },
    { name: 'reference', kind: 'reference', instances: 1, env: {}, redis: false },
  ];
  const parameters = {
    peers: options.peers,
    swarms: options.swarms,
    offersPerAnnounce: options.offers,
    sdpBytes: '~950 per offer and answer',
    thinkMs: options.thinkMs,
    durationSec: options.durationSec,
    warmupSec: options.warmupSec,
    rounds: options.rounds,
    loadProcesses: options.loadProcesses,
    idlePeers: options.idlePeers,
    idleAnnounce: 'event started, numwant 0, no offers',
    instances: options.instances,
    redis: options.redis,
    candidate: options.candidate,
  };
  log(`parameters ${JSON.stringify(parameters)}`);

  const rounds = new Map<Contender, LoadRound[]>(contenders.map((contender) => [contender, []]));
  for (let round = 1; round <= options.rounds; round++) {
    // ABBA order, so that drift of the machine over the run weighs on both alike.
    const order = round % 2 === 1 ? contenders : [...contenders].reverse();
    for (const contender of order) rounds.get(contender)!.push(await measureLoad(options, contender, round));
  }
  const idle = new Map<Contender, IdleMeasurement>();
  if (options.idlePeers > 0) for (const contender of contenders) idle.set(contender, await measureIdle(options, contender));

  const [ours, reference] = contenders.map((contender) =>
    summarize(rounds.get(contender)!, contender.instances, options.loadProcesses, idle.get(contender))) as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];

  console.log(`\nTracker announce bench: ${options.peers} peers in ${options.swarms} swarms, closed loop, ${options.offers} offers ` +
    `(~1 KB SDP) per announce, every offer answered; ${options.loadProcesses} load processes; ${options.rounds} round(s) × ${options.durationSec} s ` +
    `per tracker after ${options.warmupSec} s warm-up; RSS per idle peer at ${options.idlePeers} peers` +
    `${options.candidate === 'reference' ? ' [harness check: "ours" is the reference]' : ''}` +
    `${options.redis ? `; ours: ${options.instances} instance(s) on Redis` : ''}\n`);
  console.log(formatTable(ours, reference, TARGETS));
  for (const [name, summary] of [['ours', ours], ['reference', reference]] as const) console.log(describeRun(name, summary));

  const result = JSON.stringify({ parameters, targets: TARGETS, ours, reference }, (_key, value: unknown) =>
    value instanceof Float64Array ? undefined : value, 2);
  if (options.out) {
    writeFileSync(options.out, result + '\n');
    console.log(`\nJSON result written to ${options.out}`);
  } else {
    console.log('\n' + result);
  }
}

runBench(main);
