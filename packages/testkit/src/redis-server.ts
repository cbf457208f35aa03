/**
 * Throwaway redis-servers for tests, on free loopback ports: never the machine's shared one on
 * 6379. Every server is killed when the test process exits, even if a test forgot to stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portIsFree } from './ports.ts';
import { track } from '@swarmcast/process';
import { sleep, until } from './wait.ts';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;


export interface RedisServer {
  port: number;
  url: string;
  /** The running server's process id (changes on restart), for CPU and memory accounting. */
  readonly pid: number;
  /** Kills the server (its data is gone: nothing is saved). */
  kill(): Promise<void>;
  /** Starts an empty server again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisCluster {
  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** How many nodes hold at least one key. */
  nodesWithKeys(): number;
  stop(): Promise<void>;
}

/** Redis Cluster talks between nodes on the client port + 10000. */
const CLUSTER_BUS_OFFSET = 10_000;

/** A free port whose cluster bus port is free too. */
async function freeRedisPort(): Promise<number> {
  for (;;) {
    const port = await freePort(HOST);
    if (port + CLUSTER_BUS_OFFSET <= 65_535 && (await portIsFree(port + CLUSTER_BUS_OFFSET, HOST))) return port;
  }
}

/** Resolves once the server answers PING with PONG. */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function launch(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: 'ignore',
  });
  track(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
    await sleep(50);
  }
  return child;
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freeRedisPort();
  let child: ChildProcess | undefined = await launch(port);
  return {
    port,
    url: `redis://${HOST}:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    kill: async () => {
      await kill(child);
      child = undefined;
    },
    restart: async () => {
      await kill(child);
      child = await launch(port);
    },
    stop: () => kill(child),
  };
}

/** A Redis Cluster of three masters and no replicas, every slot assigned. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'swarmcast-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freeRedisPort();
      ports.push(port);
      children.push(await launch(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir]));
    }
    const nodes = ports.map((port) => `${HOST}:${port}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    // Nodes learn about each other over the bus a moment after the slots are assigned.
    const ok = (port: number) => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok');
    await until(() => ports.every(ok), 'redis cluster reaching cluster_state:ok', { timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    const dbsize = (port: number) => Number(spawnSync('redis-cli', ['-p', String(port), 'dbsize'], { encoding: 'utf8' }).stdout.trim());
    return { nodes, nodesWithKeys: () => ports.filter((port) => dbsize(port) > 0).length, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
