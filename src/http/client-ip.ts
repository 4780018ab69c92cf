import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config.js';

/**
 * The one place the client's address is decided (docs/security.md). A request's own
 * connection address counts, unless that connection comes from TRUSTED_PROXIES: then the proxy's
 * CLIENT_IP_HEADER (Fly's `Fly-Client-IP`, which Fly's proxy always sets itself) when configured,
 * otherwise the right-most X-Forwarded-For entry that is not itself a trusted proxy. Headers on a
 * connection from anywhere else are never read: a client cannot name its own bucket.
 */

export interface ClientIpPolicy {
  trusted: BlockList | null;
  header: string | null;
}

export function clientIpPolicy(config: Pick<Config, 'trustedProxies' | 'clientIpHeader'>): ClientIpPolicy {
  if (config.trustedProxies.length === 0) return { trusted: null, header: null };
  const trusted = new BlockList();
  for (const entry of config.trustedProxies) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(bits), family);
  }
  return { trusted, header: config.clientIpHeader ?? null };
}

/** `::ffff:1.2.3.4` (an IPv4 client of a dual-stack socket) is 1.2.3.4; anything not an address is null. */
function normalize(raw: string | undefined): string | null {
  if (!raw) return null;
  const value = raw.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (mapped) return mapped[1]!;
  return isIP(value) ? value : null;
}

const isTrusted = (trusted: BlockList, address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

const firstValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function clientIp(remoteAddress: string | undefined, headers: IncomingHttpHeaders, policy: ClientIpPolicy): string {
  const remote = normalize(remoteAddress) ?? 'unknown';
  const { trusted } = policy;
  if (!trusted || remote === 'unknown' || !isTrusted(trusted, remote)) return remote;
  if (policy.header) {
    const named = normalize(firstValue(headers[policy.header]));
    if (named) return named;
  }
  const forwarded = (Array.isArray(headers['x-forwarded-for']) ? headers['x-forwarded-for'].join(',') : (headers['x-forwarded-for'] ?? '')).split(',');
  let client = remote;
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const hop = normalize(forwarded[i]);
    // An entry that is not an address ends the walk: what is left of it was never vouched for.
    if (!hop) break;
    client = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return client;
}
