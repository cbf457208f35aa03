// Test hosts through real traffic: viewer-like processes in namespaces of their own reach servers
// on the hub's loopback through the gateway, their links keep to the shaped rates, an unreachable
// host exchanges nothing with its peers, and close() leaves nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild, track } from '@swarmcast/testkit';
import { burstBytesFor, namespaceSupport, TestNetwork, type TestHost } from '../src/network/test-hosts.ts';
import type { LinkShape } from '../src/network/profiles.ts';

const unsupported = await namespaceSupport({ firewall: true });
if (unsupported) console.error(`\n${'!'.repeat(78)}\n!! test hosts NOT TESTED: ${unsupported}\n${'!'.repeat(78)}\n`);

/** What a host process does, one JSON command a line on stdin, one JSON reply a line on stdout (raw: its '\n' stays an escape). */
const HOST_AGENT = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const udpFrom = {};
let udp;
const commands = {
  async udpListen() {
    udp = dgram.createSocket('udp4');
    udp.on('message', (message, sender) => { udpFrom[sender.address] = (udpFrom[sender.address] ?? 0) + 1; });
    await new Promise((resolve) => udp.bind(0, '0.0.0.0', resolve));
    return { port: udp.address().port };
  },
  async udpSend({ host, port, count }) {
    for (let i = 0; i < count; i++) await new Promise((resolve) => udp.send('ping', port, host, resolve));
    return {};
  },
  async udpReceived() {
    return { from: udpFrom };
  },
  async tcpListen() {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.resume(); });
    await new Promise((resolve) => server.listen(0, '0.0.0.0', resolve));
    return { port: server.address().port };
  },
  connect({ host, port, timeoutMs }) {
    return new Promise((resolve) => {
      const socket = net.connect(port, host);
      const timer = setTimeout(() => { socket.destroy(); resolve({ connected: false, reason: 'timeout' }); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); socket.destroy(); resolve({ connected: true }); });
      socket.once('error', (error) => { clearTimeout(timer); resolve({ connected: false, reason: error.code }); });
    });
  },
  upload({ host, port, seconds }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      const chunk = Buffer.alloc(64 * 1024);
      let stopped = false;
      socket.once('error', reject);
      socket.once('connect', () => {
        setTimeout(() => { stopped = true; socket.destroy(); resolve({}); }, seconds * 1000);
        const pump = () => {
          while (!stopped && socket.write(chunk));
          if (!stopped) socket.once('drain', pump);
        };
        pump();
      });
    });
  },
  download({ host, port, seconds }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('error', reject);
      socket.resume();
      setTimeout(() => { socket.destroy(); resolve({}); }, seconds * 1000);
    });
  },
};
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, ...args } = JSON.parse(line);
  let reply;
  try { reply = await commands[op](args); } catch (error) { reply = { error: String(error) }; }
  process.stdout.write(JSON.stringify({ id, ...reply }) + '\n');
});
`;

type Reply = Record<string, unknown> & { error?: string };

/** A process in a fresh namespace (as the event scenario starts viewers) that runs HOST_AGENT commands. */
class HostProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  constructor() {
    this.child = spawn('unshare', ['--net', '--', process.execPath, '-e', HOST_AGENT]);
    track(this.child);
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[host ${this.child.pid}] ${chunk.toString()}`));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const { id, ...reply } = JSON.parse(line) as Reply & { id: number };
      this.pending.get(id)?.resolve(reply);
      this.pending.delete(id);
    });
    this.child.once('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) reject(new Error(`host process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('unshare did not start');
    return this.child.pid;
  }

  async ask<T = Reply>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
    if (reply.error) throw new Error(`${op} on host ${this.pid}: ${reply.error}`);
    return reply as T;
  }
}

async function listenOnLoopback(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

interface Sample {
  /** The counters were read somewhere between these two instants (ms). */
  before: number;
  after: number;
  bytes: number;
}

/** Reads one counter of `host` every `everyMs` until `work` settles, and once more after. */
async function sampleDuring(host: TestHost, direction: 'uplinkBytes' | 'downlinkBytes', work: Promise<unknown>, everyMs = 150): Promise<Sample[]> {
  let settled = false;
  // Settles either way, so that a failed command surfaces below and never as an unhandled rejection.
  const done = work.then(
    () => null,
    (error: unknown) => ({ error }),
  );
  void done.then(() => (settled = true));
  const samples: Sample[] = [];
  const read = async () => {
    const before = performance.now();
    const bytes = (await host.counters())[direction];
    samples.push({ before, after: performance.now(), bytes });
  };
  while (!settled) {
    await read();
    await Promise.race([sleep(everyMs), done]);
  }
  const failure = await done;
  if (failure) throw failure.error;
  await read();
  return samples;
}

/**
 * Over every pair of samples, no more than rate × elapsed + burst went through, elapsed taken as
 * long as it can have been; and the whole run achieved at least `minShare` of the rate.
 */
function assertShaped(samples: Sample[], rateKbit: number, burstBytes: number, minShare: number): void {
  const bytesPerMs = (rateKbit * 1000) / 8 / 1000;
  // tbf and the counters both count frames (Ethernet header included); the margin covers tc's
  // rate arithmetic and the frame that may be in flight at a reading.
  const slack = (elapsedMs: number) => bytesPerMs * elapsedMs * 0.03 + 2 * 1514;
  let worst = { excess: -Infinity, what: '' };
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const [first, last] = [samples[i]!, samples[j]!];
      const elapsedMs = last.after - first.before;
      const excess = last.bytes - first.bytes - (bytesPerMs * elapsedMs + burstBytes + slack(elapsedMs));
      if (excess > worst.excess) worst = { excess, what: `${last.bytes - first.bytes} bytes in ≤ ${elapsedMs.toFixed(0)} ms (samples ${i}-${j})` };
    }
  }
  assert.ok(worst.excess <= 0, `over the ${rateKbit} kbit/s cap + ${burstBytes} B burst: ${worst.what}`);
  const [first, last] = [samples[0]!, samples.at(-1)!];
  const achievedKbit = ((last.bytes - first.bytes) * 8) / (last.after - first.before);
  assert.ok(achievedKbit >= rateKbit * minShare, `only ${achievedKbit.toFixed(0)} kbit/s through a ${rateKbit} kbit/s link`);
}

function linkNames(): string[] {
  return (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((link) => link.ifname);
}

describe('test hosts: namespaces, veth pairs, shaping and reachability', { skip: unsupported ?? false, timeout: 60_000 }, () => {
  const SHAPE: LinkShape = { uplinkKbit: 2000, downlinkKbit: 4000 };
  const SECONDS = 3;
  let network: TestNetwork;
  let sink: Server;
  let source: Server;
  let processes: Record<'shaped' | 'open' | 'blocked', HostProcess>;
  let shaped: TestHost;
  let open: TestHost;
  let blocked: TestHost;

  before(async () => {
    processes = { shaped: new HostProcess(), open: new HostProcess(), blocked: new HostProcess() };
    network = await TestNetwork.create();
    sink = await listenOnLoopback((socket) => socket.resume());
    source = await listenOnLoopback((socket) => {
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    [shaped, open, blocked] = await Promise.all([
      network.attach(processes.shaped.pid, { shape: SHAPE, unreachable: false }),
      network.attach(processes.open.pid, { shape: null, unreachable: false }),
      network.attach(processes.blocked.pid, { shape: null, unreachable: true }),
    ]);
  });

  after(async () => {
    await Promise.all(Object.values(processes ?? {}).map((host) => stopChild(host.child)));
    sink?.close();
    source?.close();
    await network?.close();
  });

  test('a server on the hub’s 127.0.0.1 is reached at the gateway once its port is exposed', async () => {
    const target = { host: network.gateway, port: portOf(sink), timeoutMs: 2000 };
    assert.deepEqual(await processes.open.ask('connect', target), { connected: false, reason: 'ECONNREFUSED' });
    await network.exposeLoopbackPorts([portOf(sink), portOf(source)]);
    assert.equal((await processes.open.ask('connect', target))['connected'], true);
  });

  test('uplink: what the host sends keeps to its rate and burst, and fills a fair share of it', async () => {
    const upload = processes.shaped.ask('upload', { host: network.gateway, port: portOf(sink), seconds: SECONDS });
    const samples = await sampleDuring(shaped, 'uplinkBytes', upload);
    assertShaped(samples, SHAPE.uplinkKbit, shaped.burstBytes, 0.5);
  });

  test('downlink: what the host receives keeps to its rate and burst', async () => {
    const download = processes.shaped.ask('download', { host: network.gateway, port: portOf(source), seconds: SECONDS });
    const samples = await sampleDuring(shaped, 'downlinkBytes', download);
    assertShaped(samples, SHAPE.downlinkKbit, burstBytesFor(SHAPE.downlinkKbit), 0.5);
  });

  test('an unreachable host exchanges neither UDP nor TCP with peers, yet reaches the gateway', async () => {
    const [shapedUdp, openUdp, blockedUdp, openTcp, blockedTcp] = await Promise.all([
      processes.shaped.ask<{ port: number }>('udpListen'),
      processes.open.ask<{ port: number }>('udpListen'),
      processes.blocked.ask<{ port: number }>('udpListen'),
      processes.open.ask<{ port: number }>('tcpListen'),
      processes.blocked.ask<{ port: number }>('tcpListen'),
    ]);
    const send = (from: HostProcess, to: TestHost, port: number) => from.ask('udpSend', { host: to.address, port, count: 5 });
    await Promise.all([
      send(processes.shaped, open, openUdp.port),
      send(processes.open, shaped, shapedUdp.port),
      send(processes.blocked, open, openUdp.port),
      send(processes.open, blocked, blockedUdp.port),
    ]);
    const connect = (from: HostProcess, host: string, port: number) => from.ask<{ connected: boolean }>('connect', { host, port, timeoutMs: 1500 });
    const [controlTcp, outbound, inbound, gateway] = await Promise.all([
      connect(processes.shaped, open.address, openTcp.port),
      connect(processes.blocked, open.address, openTcp.port),
      connect(processes.open, blocked.address, blockedTcp.port),
      connect(processes.blocked, network.gateway, portOf(sink)),
    ]);
    type Received = { from: Record<string, number> };
    const [atShaped, atOpen, atBlocked] = await Promise.all([
      processes.shaped.ask<Received>('udpReceived'),
      processes.open.ask<Received>('udpReceived'),
      processes.blocked.ask<Received>('udpReceived'),
    ]);
    assert.ok((atOpen.from[shaped.address] ?? 0) > 0 && (atShaped.from[open.address] ?? 0) > 0, 'control: two reachable hosts did not exchange UDP');
    assert.equal(controlTcp.connected, true, 'control: two reachable hosts could not connect over TCP');
    assert.equal(atOpen.from[blocked.address] ?? 0, 0, 'UDP from the unreachable host arrived');
    assert.deepEqual(atBlocked.from, {}, 'UDP reached the unreachable host');
    assert.equal(outbound.connected, false, 'the unreachable host opened TCP to a peer');
    assert.equal(inbound.connected, false, 'a peer opened TCP to the unreachable host');
    assert.equal(gateway.connected, true, 'the unreachable host could not reach the gateway');
  });

  test('counters outlive the host; detach and close remove every interface and the nft table', async () => {
    const beforeExit = await open.counters();
    await stopChild(processes.open.child);
    // The namespace, and the veth pair with it, goes away shortly after its last process.
    for (let waited = 0; linkNames().includes(open.hostInterface); waited += 50) {
      assert.ok(waited < 5000, `${open.hostInterface} still there 5 s after its process exited`);
      await sleep(50);
    }
    const afterExit = await open.counters();
    assert.ok(afterExit.uplinkBytes >= beforeExit.uplinkBytes && afterExit.downlinkBytes >= beforeExit.downlinkBytes);
    assert.deepEqual(await open.counters(), afterExit);

    await blocked.detach();
    assert.ok(!linkNames().includes(blocked.hostInterface), 'detach left the veth');

    await network.close();
    const left = linkNames().filter((name) => name.startsWith(network.name));
    assert.deepEqual(left, [], 'close left interfaces of the run');
    assert.doesNotMatch(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }), new RegExp(`\\b${network.name}\\b`));
    await network.close();
  });
});
