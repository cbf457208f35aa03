// Virtual viewers on access links of their own. Each viewer process runs in a network namespace
// made for it (`unshare --net`), joined by a veth pair to a bridge in the namespace this process
// runs in (the hub), where the tracker and origin listen on 127.0.0.1. tbf shapes each direction;
// nftables can make a viewer unreachable for its peers. Traffic must never leave namespaces we
// made, so nothing is built in a namespace that has a real interface.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { access, constants, readFile, readlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { LinkShape } from './profiles.ts';

/** Every interface and nftables table of a run is named `swc<5 base-36 chars>…`. */
const RUN_PREFIX = 'swc';
const OWN_INTERFACE = /^swc[0-9a-z]{5}-/;
/** The viewer's end of its veth pair, inside its own namespace. */
const VIEWER_INTERFACE = 'eth0';
/** Hosts take 10.x.0.2 to 10.x.255.254; their interface names (`swc` + 5 + `-` + index) stay within Linux's 15 bytes. */
const MAX_HOSTS = 65_533;

// The token bucket holds 20 ms of line rate, and at least 16 KiB: far above rate/HZ (4 ms at
// HZ=250), below which tbf cannot reach its rate, and about ten full frames so that a TCP flight
// passes whole; small enough that a slow link's burst stays a fraction of a second of its rate.
const BURST_MS = 20;
const MIN_BURST_BYTES = 16 * 1024;
// Behind the bucket, 100 ms of line rate may wait, a modest home-router buffer: a much smaller one
// drops often enough to keep TCP below the rate; a bigger one delays every packet of a loaded link
// (bufferbloat), signaling included.
const QUEUE_MS = 100;

/** How long `unshare --net` may take between spawn and having made the namespace. */
const NAMESPACE_WAIT_MS = 2_000;

const TOOLS: [command: string, debianPackage: string][] = [
  ['ip', 'iproute2'],
  ['tc', 'iproute2'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
];
const FIREWALL_TOOLS: [command: string, debianPackage: string][] = [['nft', 'nftables']];

const LOOPBACK_ONLY_HINT = "run it inside a loopback-only namespace: unshare --net bash -c 'ip link set lo up && …'";

const execFileAsync = promisify(execFile);

/** Runs a command with `input` on stdin; a failure names the command and quotes its stderr. */
async function run(command: string, args: string[], input = ''): Promise<string> {
  const pending = execFileAsync(command, args, { encoding: 'utf8' });
  // A command that fails before reading its input closes stdin (EPIPE): its stderr says why.
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(input);
  try {
    return (await pending).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const shownInput = input ? `\n(its input was:\n${input})` : '';
    throw new Error(`${[command, ...args].join(' ')} failed: ${stderr || (error as Error).message}${shownInput}`);
  }
}

function inNamespaceOf(pid: number, command: string, args: string[], input?: string): Promise<string> {
  return run('nsenter', ['-t', String(pid), '-n', '--', command, ...args], input);
}

function script(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

async function onPath(command: string): Promise<boolean> {
  for (const directory of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(directory, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

interface InterfaceAddresses {
  ifname: string;
  flags: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function listInterfaces(): Promise<InterfaceAddresses[]> {
  return JSON.parse(await run('ip', ['-j', 'addr', 'show'])) as InterfaceAddresses[];
}

/** Why test hosts must not be built in this namespace, or null when it is loopback-only (ours aside). */
function hubRefusal(interfaces: InterfaceAddresses[]): string | null {
  const foreign = interfaces.filter(
    (link) => link.ifname !== 'lo' && !OWN_INTERFACE.test(link.ifname) && (link.flags.includes('UP') || (link.addr_info ?? []).length > 0),
  );
  if (foreign.length > 0) {
    return `this network namespace has ${foreign.map((link) => link.ifname).join(', ')} besides loopback, and test hosts are built only where traffic cannot leave: ${LOOPBACK_ONLY_HINT}`;
  }
  if (!interfaces.find((link) => link.ifname === 'lo')?.flags.includes('UP')) return 'loopback is down in this namespace: ip link set lo up';
  return null;
}

/**
 * Null when viewers can get test hosts here; otherwise what is missing, to print as is.
 * `firewall`: nftables is needed too, for {@link TestNetwork.exposeLoopbackPorts} and unreachable viewers.
 */
export async function namespaceSupport(needs: { firewall: boolean }): Promise<string | null> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('needs root (namespaces, veth pairs, tc)');
  const tools = needs.firewall ? [...TOOLS, ...FIREWALL_TOOLS] : TOOLS;
  const found = await Promise.all(tools.map(([command]) => onPath(command)));
  const missing = tools.filter((_, index) => !found[index]);
  if (missing.length > 0) problems.push(`missing ${missing.map(([command, debianPackage]) => `${command} (apt-get install ${debianPackage})`).join(', ')}`);
  if (!missing.some(([command]) => command === 'ip')) {
    const refusal = hubRefusal(await listInterfaces());
    if (refusal) problems.push(refusal);
  }
  return problems.length > 0 ? `cannot build test hosts: ${problems.join('; ')}` : null;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((number, part) => number * 256 + Number(part), 0);
}

function overlaps(a: string, aPrefix: number, b: string, bPrefix: number): boolean {
  const size = 2 ** (32 - Math.min(aPrefix, bPrefix));
  return Math.floor(ipv4Number(a) / size) === Math.floor(ipv4Number(b) / size);
}

/** The second octet of a 10.x.0.0/16 no address here falls in; a random start keeps concurrent runs apart. */
function freeSubnetOctet(interfaces: InterfaceAddresses[]): number {
  const taken = interfaces.flatMap((link) => link.addr_info ?? []).filter((address) => address.family === 'inet');
  const start = randomInt(256);
  for (let step = 0; step < 256; step++) {
    const octet = (start + step) % 256;
    if (!taken.some((address) => overlaps(address.local, address.prefixlen, `10.${octet}.0.0`, 16))) return octet;
  }
  throw new Error('no free 10.x.0.0/16 in this namespace for a test network');
}

/** Bytes received and sent by each interface of this namespace. */
async function readInterfaceBytes(): Promise<Map<string, { rx: number; tx: number }>> {
  // Not /sys/class/net: sysfs shows the namespace of whoever mounted it (the host's, under a bare
  // `unshare --net`), whereas /proc/net follows the reader's.
  const table = await readFile('/proc/net/dev', 'latin1');
  const bytes = new Map<string, { rx: number; tx: number }>();
  for (const line of table.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    // rx bytes packets errs drop fifo frame compressed multicast, then tx bytes …
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    bytes.set(line.slice(0, colon).trim(), { rx: fields[0] ?? 0, tx: fields[8] ?? 0 });
  }
  return bytes;
}

/**
 * Resolves once `pid` is in a network namespace of its own with nothing but loopback in it.
 * `unshare --net` makes the namespace between spawn and exec: a veth sent to the process before
 * that would land in the hub; and a process in some other namespace (the host's) must get none.
 */
async function untilFreshNamespace(pid: number): Promise<void> {
  const hub = await readlink('/proc/self/ns/net');
  const deadline = Date.now() + NAMESPACE_WAIT_MS;
  for (;;) {
    const namespace = await readlink(`/proc/${pid}/ns/net`).catch(() => {
      throw new Error(`process ${pid} has exited: nothing to attach`);
    });
    if (namespace !== hub) break;
    if (Date.now() > deadline) throw new Error(`process ${pid} is still in this network namespace after ${NAMESPACE_WAIT_MS} ms: start it under unshare --net`);
    await sleep(5);
  }
  // /proc/<pid>/net is the process's namespace, not ours.
  const devices = (await readFile(`/proc/${pid}/net/dev`, 'latin1')).split('\n').slice(2).map((line) => line.split(':')[0]?.trim()).filter(Boolean);
  const others = devices.filter((device) => device !== 'lo');
  if (others.length > 0) throw new Error(`process ${pid} is in a namespace with ${others.join(', ')}: only a fresh one (unshare --net) gets a test host`);
}

/** Bucket size of the tbf shaping a link of `rateKbit`, in bytes: what it may send at once beyond its rate. */
export function burstBytesFor(rateKbit: number): number {
  return Math.max(Math.ceil((rateKbit * 125 * BURST_MS) / 1000), MIN_BURST_BYTES);
}

function shaperArgs(device: string, rateKbit: number): string[] {
  const burst = burstBytesFor(rateKbit);
  const limit = burst + Math.ceil((rateKbit * 125 * QUEUE_MS) / 1000);
  return ['qdisc', 'replace', 'dev', device, 'root', 'tbf', 'rate', `${rateKbit}kbit`, 'burst', String(burst), 'limit', String(limit)];
}

/**
 * A viewer behind a symmetric NAT without TURN: no UDP at all on its link (ICE over UDP) and nothing
 * to or from another viewer (ICE over TCP), while the hub's tracker and origin stay reachable.
 */
function unreachableRules(subnet: string, gateway: string): string {
  return script(
    'table inet swarmcast_unreachable {',
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    `    oifname "${VIEWER_INTERFACE}" meta l4proto udp drop`,
    `    oifname "${VIEWER_INTERFACE}" ip daddr ${subnet} ip daddr != ${gateway} drop`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    iifname "${VIEWER_INTERFACE}" meta l4proto udp drop`,
    `    iifname "${VIEWER_INTERFACE}" ip saddr ${subnet} ip saddr != ${gateway} drop`,
    '  }',
    '}',
  );
}

export interface TestHost {
  /** The viewer's IPv4 address on the test network. */
  readonly address: string;
  /** The hub's end of the viewer's veth pair. */
  readonly hostInterface: string;
  readonly shape: LinkShape | null;
  /** The uplink's bucket size in bytes (0 when unshaped), see {@link burstBytesFor}. */
  readonly burstBytes: number;
  /**
   * Bytes the viewer sent (uplink) and received (downlink) so far, as frames (Ethernet headers
   * included). Once its process has exited the veth pair is gone: the values last read.
   */
  counters(): Promise<{ uplinkBytes: number; downlinkBytes: number }>;
  /** Removes the viewer's veth pair, if still there: the viewer is cut off. */
  detach(): Promise<void>;
}

/**
 * A bridge in this (hub) namespace on a private 10.x.0.0/16, the hub at `gateway`, and one veth
 * pair per attached viewer process. IPv4 only: IPv6 link-local addresses are never made, so there
 * is no second path between viewers.
 */
export class TestNetwork {
  /** The hub's address on the bridge: viewers reach exposed hub servers at `<gateway>:<port>`. */
  readonly gateway: string;
  readonly bridge: string;
  private readonly subnet: string;
  private readonly hostInterfaces = new Set<string>();
  private hostCount = 0;
  private natTable = false;
  private closed = false;

  private constructor(
    /** Prefix of every interface of this network, and the name of its nftables table. */
    readonly name: string,
    private readonly octet: number,
  ) {
    this.gateway = `10.${octet}.0.1`;
    this.subnet = `10.${octet}.0.0/16`;
    this.bridge = `${name}-br`;
  }

  static async create(): Promise<TestNetwork> {
    const interfaces = await listInterfaces();
    const refusal = hubRefusal(interfaces);
    if (refusal) throw new Error(`cannot build a test network: ${refusal}`);
    const inUse = (name: string) => interfaces.some((link) => link.ifname.startsWith(`${name}-`));
    let name = '';
    while (name === '' || inUse(name)) name = RUN_PREFIX + randomInt(36 ** 5).toString(36).padStart(5, '0');
    const network = new TestNetwork(name, freeSubnetOctet(interfaces));
    try {
      await run('ip', ['-batch', '-'], script(
        `link add ${network.bridge} type bridge`,
        `link set ${network.bridge} addrgenmode none`,
        `addr add ${network.gateway}/16 dev ${network.bridge}`,
        `link set ${network.bridge} up`,
      ));
    } catch (error) {
      await network.close().catch(() => undefined);
      throw error;
    }
    return network;
  }

  /**
   * Viewers reach servers listening on 127.0.0.1:<port> here at `<gateway>:<port>`: DNAT to
   * loopback, with no proxy process in the path.
   */
  async exposeLoopbackPorts(ports: number[]): Promise<void> {
    if (ports.length === 0) return;
    const bad = ports.find((port) => !Number.isInteger(port) || port < 1 || port > 65_535);
    if (bad !== undefined) throw new Error(`not a TCP port: ${bad}`);
    // Packets for 127.0.0.0/8 that arrive on a real interface are martians, dropped after DNAT,
    // unless route_localnet allows them on that interface (set per interface, per namespace).
    await writeFile(`/proc/sys/net/ipv4/conf/${this.bridge}/route_localnet`, '1');
    await run('nft', ['-f', '-'], script(
      `table ip ${this.name} {`,
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    iifname "${this.bridge}" ip daddr ${this.gateway} tcp dport { ${ports.join(', ')} } dnat to 127.0.0.1`,
      '  }',
      '}',
    ));
    this.natTable = true;
  }

  /**
   * Gives process `pid` (just started under `unshare --net`, not yet using the network) a link to
   * the hub: `eth0` with its own address and a default route via the gateway. `shape` limits its
   * uplink (egress of its eth0) and downlink (egress of the hub's end); `unreachable` keeps every
   * other viewer from reaching it and it from reaching them.
   */
  async attach(pid: number, options: { shape: LinkShape | null; unreachable: boolean }): Promise<TestHost> {
    if (this.closed) throw new Error(`test network ${this.name} is closed`);
    if (this.hostCount >= MAX_HOSTS) throw new Error(`test network ${this.name} is full (${MAX_HOSTS} hosts)`);
    await untilFreshNamespace(pid);
    const index = ++this.hostCount;
    // The gateway is .0.1: hosts count on from .0.2, through 10.x.255.254.
    const address = `10.${this.octet}.${Math.floor((index + 1) / 256)}.${(index + 1) % 256}`;
    const hostInterface = `${this.name}-${index}`;
    const { shape, unreachable } = options;
    this.hostInterfaces.add(hostInterface);
    try {
      await run('ip', ['-batch', '-'], script(
        `link add ${hostInterface} type veth peer name ${VIEWER_INTERFACE} netns ${pid}`,
        `link set ${hostInterface} addrgenmode none`,
        `link set ${hostInterface} master ${this.bridge} up`,
      ));
      if (shape) await run('tc', shaperArgs(hostInterface, shape.downlinkKbit));
      await inNamespaceOf(pid, 'ip', ['-batch', '-'], script(
        'link set lo up',
        `link set ${VIEWER_INTERFACE} addrgenmode none`,
        `addr add ${address}/16 dev ${VIEWER_INTERFACE}`,
        `link set ${VIEWER_INTERFACE} up`,
        `route add default via ${this.gateway}`,
      ));
      if (shape) await inNamespaceOf(pid, 'tc', shaperArgs(VIEWER_INTERFACE, shape.uplinkKbit));
      if (unreachable) await inNamespaceOf(pid, 'nft', ['-f', '-'], unreachableRules(this.subnet, this.gateway));
    } catch (error) {
      await this.removeLinks([hostInterface]).catch(() => undefined);
      this.hostInterfaces.delete(hostInterface);
      throw error;
    }

    let last = { uplinkBytes: 0, downlinkBytes: 0 };
    return {
      address,
      hostInterface,
      shape,
      burstBytes: shape ? burstBytesFor(shape.uplinkKbit) : 0,
      counters: async () => {
        const bytes = (await readInterfaceBytes()).get(hostInterface);
        // The hub's end receives what the viewer sends.
        if (bytes) last = { uplinkBytes: bytes.rx, downlinkBytes: bytes.tx };
        return last;
      },
      detach: async () => {
        await this.removeLinks([hostInterface]);
        this.hostInterfaces.delete(hostInterface);
      },
    };
  }

  /** Removes every veth pair still there, the bridge and the nftables table; safe to call again. */
  async close(): Promise<void> {
    this.closed = true;
    const failures: Error[] = [];
    try {
      await this.removeLinks([...this.hostInterfaces, this.bridge]);
      this.hostInterfaces.clear();
    } catch (error) {
      failures.push(error as Error);
    }
    if (this.natTable) {
      try {
        await run('nft', ['delete', 'table', 'ip', this.name]);
        this.natTable = false;
      } catch (error) {
        failures.push(error as Error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `closing test network ${this.name}: ${failures.map((failure) => failure.message).join('; ')}`);
  }

  private async removeLinks(names: string[]): Promise<void> {
    const present = await readInterfaceBytes();
    const doomed = names.filter((name) => present.has(name));
    if (doomed.length === 0) return;
    try {
      await run('ip', ['-force', '-batch', '-'], script(...doomed.map((name) => `link del ${name}`)));
    } catch (error) {
      // A viewer that exits takes its veth pair along, possibly between the look and the delete.
      const still = await readInterfaceBytes();
      if (doomed.some((name) => still.has(name))) throw error;
    }
  }
}
