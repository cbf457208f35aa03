/**
 * Locality key for pairing: the edge region the load balancer stamped on the upgrade request,
 * else the client's network prefix (IPv4 /24, IPv6 /48), where peers are likely near each other.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function networkPrefix(ip: string): string {
  const mapped = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIPv4(mapped)) return mapped.slice(0, mapped.lastIndexOf('.')) + '.0/24';
  if (isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
    return groups.slice(0, 3).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/48';
  }
  return ip;
}

export function localityKey(regionHeader: string | string[] | undefined, ip: string): string {
  const region = Array.isArray(regionHeader) ? regionHeader[0] : regionHeader;
  // Bounded so a client cannot make the key (kept per peer) arbitrarily large.
  if (region && region.length <= 64) return 'region:' + region;
  return 'net:' + networkPrefix(ip);
}
