/**
 * Locality key for pairing: the edge region a trusted proxy stamped on the upgrade request, else
 * the client's network prefix (IPv4 /24, IPv6 /48), where peers are likely near each other.
 */
import { addressPrefix } from './client-address.ts';

/** `regionHeader` only as a trusted proxy set it: a client naming its own region would choose whom it is paired with. */
export function localityKey(regionHeader: string | string[] | undefined, ip: string): string {
  const region = Array.isArray(regionHeader) ? regionHeader[0] : regionHeader;
  // Bounded so a client cannot make the key (kept per peer) arbitrarily large.
  if (region && region.length <= 64) return 'region:' + region;
  return 'net:' + addressPrefix(ip, 24, 48);
}
