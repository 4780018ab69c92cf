import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckoutDocument, createClient, PlansDocument, ProviderNotConfiguredError } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

/**
 * Free paid plans from a reachable development server (issue 15, finding 4): `npm start` listened
 * on every interface with the demo provider on. Outside production the server now listens on
 * 127.0.0.1 unless HOST says otherwise, and the demo provider is on only while it listens on a
 * loopback address (or BILLING_DEMO=1 says so).
 */

/** The local addresses on which something listens on `port` (read from /proc, no traffic). */
async function listeningAddresses(port: number): Promise<string[]> {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      if (Number.parseInt(hexPort, 16) !== port) continue;
      if (hexAddress.length === 8) found.push(hexAddress.match(/../g)!.reverse().map((b) => Number.parseInt(b, 16)).join('.'));
      else found.push(hexAddress === '00000000000000000000000001000000' ? '::1' : hexAddress === '0'.repeat(32) ? '::' : hexAddress);
    }
  }
  return found;
}

const demoPriced = async (graphqlUrl: string) =>
  (await createClient({ url: graphqlUrl }).request(PlansDocument)).plans.find((p) => p.tier === 'PRO')!.prices.some((p) => p.provider === 'DEMO');

describe('npm start outside production', () => {
  let server: SpawnedServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('listens on 127.0.0.1 only by default, with the demo provider', async () => {
    // As `npm start` runs it: no HOST, no NODE_ENV.
    server = await spawnServer({ env: { HOST: undefined, NODE_ENV: undefined } });
    const port = Number(new URL(server.url).port);
    expect(await listeningAddresses(port)).toEqual(['127.0.0.1']);
    expect(await demoPriced(server.graphqlUrl)).toBe(true);
  });
});

describe('a server reachable from other machines', () => {
  const servers: TestServer[] = [];
  let exposed: TestServer;
  beforeAll(async () => {
    // The harness listens on loopback whatever HOST says; the setting decides what is offered.
    exposed = await startTestServer({ env: { HOST: '0.0.0.0' } });
    servers.push(exposed);
  });
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('HOST=0.0.0.0 turns the demo provider off: not priced, not accepted, no demo pages', async () => {
    expect(await demoPriced(exposed.graphqlUrl)).toBe(false);
    const error = await exposed.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO', email: uniqueEmail() } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotConfiguredError);
    expect((await fetch(`${exposed.url}/billing/demo/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const paid = await fetch(`${exposed.url}/billing/demo/00000000-0000-4000-8000-000000000000/pay`, { method: 'POST' });
    expect(paid.status).toBe(404);
  });

  it('BILLING_DEMO=1 turns it on there anyway; an IPv6 wildcard is as reachable as 0.0.0.0', async () => {
    const optedIn = await startTestServer({ env: { HOST: '0.0.0.0', BILLING_DEMO: '1' } });
    servers.push(optedIn);
    expect(await demoPriced(optedIn.graphqlUrl)).toBe(true);
    const v6 = await startTestServer({ env: { HOST: '::' } });
    servers.push(v6);
    expect(await demoPriced(v6.graphqlUrl)).toBe(false);
  });
});
