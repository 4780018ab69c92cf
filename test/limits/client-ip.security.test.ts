import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, RegisterDocument } from '../../sdk/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { clientIp, clientIpPolicy } from '../../src/http/client-ip.js';
import { ipBucket } from '../../src/services/limits/rate-limiter.js';
import { uniqueEmail } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Behind Fly's proxy (issue 15, finding 3). Fly's proxy connects to the machine from its private
 * range and sets `Fly-Client-IP` to the address it accepted the connection from (replacing any the
 * client sent) and appends that address and then the app's own public address to
 * `X-Forwarded-For` ("<whatever the client sent>, <client>, <app address>"). These tests run the
 * server with fly.toml's [env] as shipped; the test's loopback connection stands in for Fly's
 * proxy address, which is added to TRUSTED_PROXIES where a test says the request came through Fly.
 */

const APP_ADDRESS = '2a09:8280:1::af:1aa1:0'; // the app's anycast address, the same for every client

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function flyEnv(): Promise<Record<string, string>> {
  const fly = parse(await readFile(new URL('../../fly.toml', import.meta.url), 'utf8')) as { env: Record<string, string> };
  return { ...fly.env };
}

async function serverWith(env: Record<string, string>): Promise<TestServer> {
  // Not production (tests talk to it over loopback): only the client-address settings are Fly's.
  const server = await startTestServer({ env: { ...env, NODE_ENV: 'test', HOST: '127.0.0.1', PUBLIC_RATE_LIMIT: '5' }, ownDatabase: true });
  servers.push(server);
  return server;
}

/** Fly's proxy as seen by the app: the client sent `sent` (its own forged headers), Fly added its own. */
function throughFly(client: string, sent: Record<string, string> = {}): Record<string, string> {
  const forwarded = [sent['x-forwarded-for'], client, APP_ADDRESS].filter(Boolean).join(', ');
  return { ...sent, 'fly-client-ip': client, 'x-forwarded-for': forwarded };
}

const registerWith = (server: TestServer, headers: Record<string, string>) =>
  createClient({ url: server.graphqlUrl, headers }).raw(RegisterDocument, { input: { email: uniqueEmail() } });

async function statuses(server: TestServer, headers: Record<string, string>, times: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push((await registerWith(server, headers)).status);
  return out;
}

describe('client address behind Fly as shipped in fly.toml', () => {
  it('gives two clients separate buckets, and a client cannot buy another by forging the headers', async () => {
    const env = await flyEnv();
    const server = await serverWith({ ...env, TRUSTED_PROXIES: [env.TRUSTED_PROXIES, '127.0.0.1'].filter(Boolean).join(',') });
    await freshWindow();
    expect(await statuses(server, throughFly('198.51.100.7'), 6)).toEqual([200, 200, 200, 200, 200, 429]);
    // Another client behind the same proxy still has its whole budget.
    expect(await statuses(server, throughFly('203.0.113.9'), 1)).toEqual([200]);
    // The first client forges both headers; Fly replaces Fly-Client-IP and appends to X-Forwarded-For.
    const forged = throughFly('198.51.100.7', { 'fly-client-ip': '192.0.2.1', 'x-forwarded-for': '192.0.2.2' });
    expect(await statuses(server, forged, 1)).toEqual([429]);
  });

  it('counts IPv6 clients per /64', async () => {
    const env = await flyEnv();
    const server = await serverWith({ ...env, TRUSTED_PROXIES: [env.TRUSTED_PROXIES, '127.0.0.1'].filter(Boolean).join(',') });
    await freshWindow();
    const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::ffff:5', '2001:db8:1:2::6', '2001:db8:1:2::7'];
    const results: number[] = [];
    for (const address of sameNetwork) results.push(...(await statuses(server, throughFly(address), 1)));
    expect(results).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await statuses(server, throughFly('2001:db8:1:3::1'), 1)).toEqual([200]);
  });

  it('never believes the headers from a connection that is not the trusted proxy', async () => {
    // Fly's settings, but the test's connection is not in TRUSTED_PROXIES: a client reaching the
    // machine directly, whatever headers it sets, is counted by its own address.
    const server = await serverWith(await flyEnv());
    await freshWindow();
    const results: number[] = [];
    for (let i = 0; i < 6; i++) results.push(...(await statuses(server, throughFly(`198.51.100.${10 + i}`), 1)));
    expect(results).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('the client-address rule itself, with fly.toml\'s settings', () => {
  it('takes Fly-Client-IP from a connection out of Fly\'s proxy range, and nothing from anyone else', async () => {
    const policy = clientIpPolicy(loadConfig(await flyEnv()));
    const fromFly = throughFly('198.51.100.7', { 'fly-client-ip': '192.0.2.1', 'x-forwarded-for': '192.0.2.2' });
    expect(clientIp('172.16.3.4', fromFly, policy)).toBe('198.51.100.7');
    expect(clientIp('::ffff:172.16.3.4', fromFly, policy)).toBe('198.51.100.7');
    // Not from Fly's proxy: the connection's own address, whatever the headers say.
    expect(clientIp('203.0.113.50', fromFly, policy)).toBe('203.0.113.50');
    expect(clientIp('fdaa:0:1:a7b:1::2', fromFly, policy)).toBe('fdaa:0:1:a7b:1::2');
  });

  it('buckets IPv6 per /64 and IPv4 per address', () => {
    expect(ipBucket('2001:db8:1:2::1')).toBe(ipBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(ipBucket('2001:0db8:0001:0002::1')).toBe(ipBucket('2001:db8:1:2::9'));
    expect(ipBucket('2001:db8:1:2::1')).not.toBe(ipBucket('2001:db8:1:3::1'));
    expect(ipBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('198.51.100.7')).toBe('198.51.100.7');
  });

  it('refuses CLIENT_IP_HEADER without TRUSTED_PROXIES (it would be believed from anyone)', () => {
    expect(() => loadConfig({ CLIENT_IP_HEADER: 'fly-client-ip' })).toThrow(ConfigError);
  });
});
