// One size of the scale bench: tracker instances as processes on a fresh 3-node Redis Cluster (or
// one on its memory store), one stream of real WebSocket peers from load processes and loopback
// source addresses, announcing at a viewer's cadence and answering the offers relayed to them, a
// sample polling /coordination; then what the trackers and the cluster's nodes spent on them.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { infoHashOf, LoadFleet, type FleetConnected, type LoadReport } from '@swarmcast/loadtest/tracker-load';
import { readCpuSec, readMachineBusySec } from '@swarmcast/loadtest/proc-stats';
import { percentiles, sum } from '@swarmcast/loadtest/samples';
import { startRedisCluster, waitFor, type RedisCluster } from '@swarmcast/testkit';
import { ClusterNodes, type NodeReading } from './redis-nodes.ts';
import { startTrackers, type TrackerGroup } from './tracker-group.ts';
import { eventLoopDelay, settledMemory, trackerStats, type MemoryReading } from './tracker-readings.ts';

export interface ScaleSetup {
  store: 'cluster' | 'memory';
  peers: number;
  instances: number;
  loadProcesses: number;
  /** ANNOUNCE_INTERVAL, and the load peers' pause between an answer and their next announce. */
  announceIntervalSec: number;
  windowSec: number;
  /** Share of the peers polling /coordination, and how often each does. */
  coordinationShare: number;
  coordinationPollMs: number;
  /** Sockets opening at once, over all load processes. */
  connectConcurrency: number;
  /** Peers that join, poll and leave before the idle readings, so code is compiled and pools are allocated (0: none). */
  warmupPeers: number;
  /** MAX_PEERS_PER_SWARM, when not the tracker's default. */
  maxPeersPerSwarm?: number;
  /** PING_INTERVAL, when not the tracker's default. */
  pingIntervalSec?: number;
  /** Quiet seconds before the idle readings (default IDLE_SEC). */
  idleSec?: number;
  /** Seconds between the join and the window (default SETTLE_SEC). */
  settleSec?: number;
  log(message: string): void;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface NodeWindow {
  node: string;
  keys: number;
  usedMemoryBytes: number;
  commandsPerSec: number;
  cpuPercent: number;
  /** Live members of each of the stream's cells this node holds. */
  cellSizes: number[];
}

export interface ScaleResult {
  store: ScaleSetup['store'];
  peers: number;
  instances: number;
  loadProcesses: number;
  joined: number;
  joinFailures: number;
  firstJoinError: string | undefined;
  joinSec: number;
  /** Failure frames the peers received during the window, by reason. */
  windowFailures: Record<string, number>;
  /** What the trackers refused since they started (their /stats), by reason. */
  trackerRejections: Record<string, number>;
  disconnects: number;
  /** Peers the trackers held at the end (their /stats, summed). */
  trackerPeers: number;
  /** Peers or connections the trackers still held well after every load process had gone (drainTimeoutMs): a leak, if not 0. */
  heldAfterStop: number;
  cells: number;
  idle: MemoryReading;
  loaded: MemoryReading;
  /** (loaded − idle RSS) ÷ joined peers. */
  rssPerPeerKB: number;
  /** The same without the young generation's growth, which follows the allocation rate rather than the peers held. */
  rssPerPeerWithoutYoungKB: number;
  /** The trackers' CPU before the join, summed, % of one core. */
  idleCpuPercent: number;
  windowSec: number;
  announces: number;
  trackerCpuSec: number;
  redisCpuSec: number;
  /** The busiest load process, % of one core: at 90 % and more the generator, not the tracker, set the pace. */
  loadCpuPercent: number;
  /** The rest of the machine (other work, kernel time charged to no process), % of one core. */
  otherCpuPercent: number;
  /** The worst instance's event-loop delay over the window, ms. */
  eventLoopDelayMs: { p99: number; max: number };
  offersRelayed: number;
  answersRelayed: number;
  announceLatencyMs: Latency;
  relayLatencyMs: Latency;
  coordination: { answers: number; notMember: number; failures: Record<string, number>; latencyMs: Latency };
  nodes: NodeWindow[];
}

/** The load sends from 127.0.x.y, this many peers per address. */
const PEERS_PER_ADDRESS = 100;
/** Redis keys of the trackers (their default REDIS_KEY_PREFIX). */
const KEY_PREFIX = 'swarmcast:';
/** After the join, before the window: cells opened near its end settle and their members move. */
const SETTLE_SEC = 10;
/** Long enough for V8 to shrink the young generation the warm-up grew (it does after ~10 s without work). */
const IDLE_SEC = 15;
const WARMUP_MS = 10_000;
/**
 * The warm-up peers' cadence: a few announces and polls each compile the code paths without the
 * allocation rate of a fast loop.
 */
const WARMUP_CADENCE_MS = 4_000;
/** Leaves of the peers whose sockets closed take time: 30 s, or a millisecond a peer if longer. */
const drainTimeoutMs = (peers: number) => Math.max(30_000, peers);

const latency = (chunks: Float64Array[]): Latency => {
  const { p50, p99, max, count } = percentiles(chunks.flatMap((chunk) => Array.from(chunk)));
  return { p50, p99, max, count };
};

const merged = (counts: Array<Record<string, number>>): Record<string, number> => {
  const total: Record<string, number> = {};
  for (const count of counts) for (const [key, n] of Object.entries(count)) total[key] = (total[key] ?? 0) + n;
  return total;
};

const cpuOf = (pids: number[]) => sum(pids.map(readCpuSec));

/** The trackers and, for the cluster, its nodes; `stop` ends all of them, whatever was started. */
interface Stack {
  trackers: TrackerGroup;
  nodes: ClusterNodes | undefined;
  stop(): Promise<void>;
}

function trackerEnv(setup: ScaleSetup, cluster: RedisCluster | undefined): Record<string, string> {
  return {
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster.nodes.join(',') } : {}),
    ANNOUNCE_INTERVAL: String(setup.announceIntervalSec),
    // What an operator raises for a load test from a few addresses: the limits per client address.
    MAX_CONNECTIONS_PER_IP: String(10 * PEERS_PER_ADDRESS),
    COORDINATION_REQUESTS_PER_MINUTE: '1000000',
    ...(setup.maxPeersPerSwarm !== undefined ? { MAX_PEERS_PER_SWARM: String(setup.maxPeersPerSwarm) } : {}),
    ...(setup.pingIntervalSec !== undefined ? { PING_INTERVAL: String(setup.pingIntervalSec) } : {}),
  };
}

async function startStack(setup: ScaleSetup): Promise<Stack> {
  const cluster = setup.store === 'cluster' ? await startRedisCluster() : undefined;
  let nodes: ClusterNodes | undefined;
  try {
    nodes = cluster && (await ClusterNodes.connect(cluster.nodes));
    const trackers = await startTrackers({ kind: 'ours', count: setup.instances, env: trackerEnv(setup, cluster) });
    return {
      trackers,
      nodes,
      async stop() {
        nodes?.close();
        await trackers.stop();
        await cluster?.stop();
      },
    };
  } catch (error) {
    nodes?.close();
    await cluster?.stop();
    throw error;
  }
}

/** Waits for the trackers to let go of `peers` peers of stopped load processes; what they still hold after drainTimeoutMs. */
async function drained(trackers: TrackerGroup, peers: number): Promise<number> {
  const held = (stats: Awaited<ReturnType<typeof trackerStats>>) => sum(stats.map((s) => s.peers + s.connections));
  return held(await waitFor(() => trackerStats(trackers), (stats) => held(stats) === 0, { timeoutMs: drainTimeoutMs(peers), intervalMs: 500 }));
}

/** Joins, polls and leaves a few hundred peers: what the first measured peers would otherwise pay for. */
async function warmUp(setup: ScaleSetup, trackers: TrackerGroup): Promise<void> {
  const { fleet } = await LoadFleet.connect({
    mode: 'loop',
    urls: trackers.urls,
    processes: 1,
    peers: setup.warmupPeers,
    swarms: 1,
    offersPerAnnounce: 5,
    thinkMs: WARMUP_CADENCE_MS,
    connectConcurrency: setup.connectConcurrency,
    connectTimeoutMs: 60_000,
    sourceAddresses: Math.ceil(setup.warmupPeers / PEERS_PER_ADDRESS),
    coordination: { share: 1, everyMs: WARMUP_CADENCE_MS },
    runWhileJoining: true,
  });
  await sleep(WARMUP_MS);
  await fleet.stop();
  await drained(trackers, setup.warmupPeers);
}

async function idleReadings(trackers: TrackerGroup, idleSec: number): Promise<{ cpuPercent: number; memory: MemoryReading }> {
  const cpu0 = cpuOf(trackers.pids);
  await sleep(idleSec * 1000);
  const cpuPercent = (100 * (cpuOf(trackers.pids) - cpu0)) / idleSec;
  return { cpuPercent, memory: await settledMemory(trackers) };
}

/** The measured peers, each starting its cadence (and its polls) once joined. */
async function join(setup: ScaleSetup, trackers: TrackerGroup): Promise<{ fleet: LoadFleet; connected: FleetConnected; joinSec: number }> {
  setup.log(`${setup.store} ${setup.peers}: joining over ${setup.instances} instance(s) from ${setup.loadProcesses} load processes`);
  const startedAt = performance.now();
  let loggedAt = startedAt;
  const { fleet, connected } = await LoadFleet.connect({
    mode: 'loop',
    urls: trackers.urls,
    processes: setup.loadProcesses,
    peers: setup.peers,
    firstPeer: setup.warmupPeers,
    swarms: 1,
    offersPerAnnounce: 5,
    thinkMs: setup.announceIntervalSec * 1000,
    connectConcurrency: Math.ceil(setup.connectConcurrency / setup.loadProcesses),
    // Generous: a join slower than ~100 peers/s is a finding, not a hang.
    connectTimeoutMs: 120_000 + setup.peers * 10,
    sourceAddresses: Math.ceil(setup.peers / PEERS_PER_ADDRESS),
    coordination: { share: setup.coordinationShare, everyMs: setup.coordinationPollMs },
    runWhileJoining: true,
    onConnecting: (joined, failed) => {
      if (performance.now() - loggedAt < 10_000) return;
      loggedAt = performance.now();
      setup.log(`  ${joined} joined, ${failed} failed after ${Math.round((loggedAt - startedAt) / 1000)} s`);
    },
  });
  const joinSec = (performance.now() - startedAt) / 1000;
  setup.log(`  ${connected.connected} joined, ${connected.failed} failed in ${joinSec.toFixed(1)} s; then a ${setup.windowSec} s window`);
  return { fleet, connected, joinSec };
}

interface WindowReadings {
  windowSec: number;
  trackerCpuSec: number;
  /** Per cluster node, in the order of `nodes`. */
  redisCpuSec: number[];
  loadCpuSec: number[];
  otherCpuSec: number;
  eventLoopDelayMs: { p99: number; max: number };
  nodesBefore: NodeReading[];
  nodesAfter: NodeReading[];
  reports: LoadReport[];
}

async function measureWindow(setup: ScaleSetup, stack: Stack, fleet: LoadFleet): Promise<WindowReadings> {
  const { trackers, nodes } = stack;
  await fleet.mark();
  await eventLoopDelay(trackers);
  const nodesBefore = (await nodes?.read()) ?? [];
  const redisPids = nodesBefore.map((reading) => reading.pid);
  const trackerCpu0 = cpuOf(trackers.pids);
  const redisCpu0 = redisPids.map(readCpuSec);
  const loadCpu0 = fleet.pids.map(readCpuSec);
  const benchCpu0 = process.cpuUsage();
  const machine0 = readMachineBusySec();
  const startedAt = performance.now();
  await sleep(setup.windowSec * 1000);
  const windowSec = (performance.now() - startedAt) / 1000;
  const trackerCpuSec = cpuOf(trackers.pids) - trackerCpu0;
  const redisCpuSec = redisPids.map((pid, i) => readCpuSec(pid) - redisCpu0[i]!);
  const loadCpuSec = fleet.pids.map((pid, i) => readCpuSec(pid) - loadCpu0[i]!);
  const benchCpu = process.cpuUsage(benchCpu0);
  const otherCpuSec = readMachineBusySec() - machine0 - trackerCpuSec - sum(redisCpuSec) - sum(loadCpuSec) - (benchCpu.user + benchCpu.system) / 1e6;
  return {
    windowSec,
    trackerCpuSec,
    redisCpuSec,
    loadCpuSec,
    otherCpuSec,
    eventLoopDelayMs: await eventLoopDelay(trackers),
    nodesBefore,
    nodesAfter: (await nodes?.read()) ?? [],
    reports: await fleet.report(),
  };
}

export async function measureScale(setup: ScaleSetup): Promise<ScaleResult> {
  const stack = await startStack(setup);
  try {
    const { trackers, nodes } = stack;
    if (setup.warmupPeers > 0) await warmUp(setup, trackers);
    const idle = await idleReadings(trackers, setup.idleSec ?? IDLE_SEC);
    const { fleet, connected, joinSec } = await join(setup, trackers);
    let window: WindowReadings;
    let loaded: MemoryReading;
    let stats: Awaited<ReturnType<typeof trackerStats>>;
    let cellSizes: number[][];
    try {
      await sleep((setup.settleSec ?? SETTLE_SEC) * 1000);
      window = await measureWindow(setup, stack, fleet);
      loaded = await settledMemory(trackers);
      stats = await trackerStats(trackers);
      cellSizes = (await nodes?.cellSizes(KEY_PREFIX, infoHashOf(0))) ?? [];
    } finally {
      await fleet.stop();
    }
    const drainStartedAt = performance.now();
    const heldAfterStop = await drained(trackers, connected.connected);
    setup.log(`  the trackers let go of the peers in ${((performance.now() - drainStartedAt) / 1000).toFixed(1)} s`);

    const { reports, windowSec } = window;
    const total = (count: (report: LoadReport) => number) => sum(reports.map(count));
    const perPeerKB = (bytes: number) => bytes / connected.connected / 1024;
    return {
      store: setup.store,
      peers: setup.peers,
      instances: setup.instances,
      loadProcesses: setup.loadProcesses,
      joined: connected.connected,
      joinFailures: connected.failed,
      firstJoinError: connected.firstError,
      joinSec,
      windowFailures: merged(reports.map((report) => report.failuresByReason)),
      trackerRejections: merged(stats.map((s) => s.rejections)),
      disconnects: total((report) => report.disconnects),
      trackerPeers: sum(stats.map((s) => s.peers)),
      heldAfterStop,
      // Without Redis the one instance's store swarms are the stream's cells.
      cells: nodes ? sum(cellSizes.map((sizes) => sizes.length)) : sum(stats.map((s) => s.swarms)),
      idle: idle.memory,
      loaded,
      rssPerPeerKB: perPeerKB(loaded.rssBytes - idle.memory.rssBytes),
      rssPerPeerWithoutYoungKB: perPeerKB(loaded.rssBytes - loaded.youngGenerationBytes - (idle.memory.rssBytes - idle.memory.youngGenerationBytes)),
      idleCpuPercent: idle.cpuPercent,
      windowSec,
      announces: total((report) => report.announces),
      trackerCpuSec: window.trackerCpuSec,
      redisCpuSec: sum(window.redisCpuSec),
      loadCpuPercent: Math.max(...window.loadCpuSec.map((cpu) => (100 * cpu) / windowSec)),
      otherCpuPercent: (100 * window.otherCpuSec) / windowSec,
      eventLoopDelayMs: window.eventLoopDelayMs,
      offersRelayed: total((report) => report.offersRelayed),
      answersRelayed: total((report) => report.answersRelayed),
      announceLatencyMs: latency(reports.map((report) => report.announceLatencyMs)),
      relayLatencyMs: latency(reports.map((report) => report.relayLatencyMs)),
      coordination: {
        answers: total((report) => report.coordinationAnswers),
        notMember: total((report) => report.coordinationNotMember),
        failures: merged(reports.map((report) => report.coordinationFailures)),
        latencyMs: latency(reports.map((report) => report.coordinationLatencyMs)),
      },
      nodes: window.nodesAfter.map((reading, i) => ({
        node: reading.node,
        keys: reading.keys,
        usedMemoryBytes: reading.usedMemoryBytes,
        commandsPerSec: (reading.commandsProcessed - window.nodesBefore[i]!.commandsProcessed) / windowSec,
        cpuPercent: (100 * window.redisCpuSec[i]!) / windowSec,
        cellSizes: cellSizes[i] ?? [],
      })),
    };
  } finally {
    await stack.stop();
  }
}
