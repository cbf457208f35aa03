/**
 * Who a request comes from, one answer for HTTP (Fastify's `request.ip`) and for the WebSocket
 * upgrade: the socket's peer, or behind TRUST_PROXY's proxies the right-most X-Forwarded-For
 * address that no trusted proxy wrote (the left-most ones are whatever the client sent).
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';
import type { TrackerConfig } from './config.ts';

/** proxy-addr's trust test: is the address at `hop` (0: the socket's peer, 1: the last X-Forwarded-For entry, …) a proxy of ours? */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as a trust test, handed to Fastify as well. A hop count is built here rather than
 * passed to Fastify as a number: Fastify 5 trusts no hop at all for a number, since a count cannot
 * tell a proxy from a client that reached the tracker directly (see the README's security section).
 */
export function proxyTrust(setting: TrackerConfig['trustProxy']): ProxyTrust {
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting);
}

export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string {
  return proxyAddr(request, trust) ?? 'unknown';
}

/** Headers a proxy sets for the client (its region) are believed only when a trusted proxy is the one talking to us. */
export function fromTrustedProxy(request: IncomingMessage, trust: ProxyTrust): boolean {
  const peer = request.socket.remoteAddress;
  return peer !== undefined && trust(peer, 0);
}

/** The network `address` is in, in CIDR form: IPv4 (also IPv4-mapped IPv6) to `ipv4Bits`, IPv6 to `ipv6Bits`; anything else as given. */
export function addressPrefix(address: string, ipv4Bits: number, ipv6Bits: number): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  const bits = ip.kind() === 'ipv4' ? ipv4Bits : ipv6Bits;
  const bytes = ip.toByteArray().map((byte, i) => {
    const kept = Math.min(8, Math.max(0, bits - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
}

/**
 * What per-address limits count by: one IPv4 address, or one IPv6 /64, the smallest network an
 * ISP hands a subscriber (who can otherwise take a fresh address per connection).
 */
export function limitKey(address: string): string {
  return addressPrefix(address, 32, 64);
}
