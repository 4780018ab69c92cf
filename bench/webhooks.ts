import pg from 'pg';
import { signStripe, startFakeStripe, type FakeStripe } from '../test/fakes/index.js';
import { loadRequests, localDatabaseCpu, median, ratio, startServer, summarizeRounds, throwawayDatabase, withCpuPerRequest, withDatabaseCpuPerRequest, type LoadRequest } from './lib.js';

/**
 * Issue 8's webhook figure: verified Stripe events applied exactly once, on real PostgreSQL.
 * The product server receives `customer.subscription.updated` events for SUBSCRIBERS users'
 * subscriptions, each a new event (a new id, a newer `created`, a later period end) signed exactly as Stripe signs
 * (the SDK's test header), and every REDELIVERY_EVERY-th request a redelivery of an event sent a
 * moment before. Beside it, the baseline: a bare Fastify route taking the same raw bodies. Both
 * servers are started once and measured in turn `rounds` times; figures are medians (see auth-limit).
 * Afterwards the ledger and the audit trail are counted against what the server answered.
 */

const SUBSCRIBERS = 200;
const CONNECTIONS = 50;
const REDELIVERY_EVERY = 5;
/** Load before the measured rounds: the JIT and each pooled connection's prepared statements warm up. */
const WARM_UP_SEC = 5;
const WEBHOOK_SECRET = 'whsec_bench_webhooks';
const PRICE_PRO = 'price_bench_pro';
const PRICE_TEAM = 'price_bench_team';

interface ServerInfo {
  url: string;
}

/** Users registered through the API, each with a subscription the Stripe fake knows. */
async function subscribers(graphqlUrl: string, stripe: FakeStripe) {
  const out: { userId: string; subscription: ReturnType<FakeStripe['createSubscription']> }[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { register(input: { email: "bench-webhooks-${i}-${Date.now()}@example.com" }) { user { id } } }` }),
    });
    const { data } = (await response.json()) as { data: { register: { user: { id: string } } } };
    const userId = data.register.user.id;
    out.push({ userId, subscription: stripe.createSubscription({ price: PRICE_PRO, metadata: { user_id: userId } }) });
  }
  return out;
}

/**
 * The next delivery: a new event, or (every REDELIVERY_EVERY-th) one sent a few requests before.
 * Numbered by the stream itself, not by the load (which counts from 0 again in each round): a
 * number used twice would make the second event older than the state it meets, answered STALE.
 */
function eventStream(stripe: FakeStripe, subs: Awaited<ReturnType<typeof subscribers>>) {
  const createdBase = Math.floor(Date.now() / 1000) - 86_400;
  const recent: { body: string; eventId: string }[] = [];
  let i = 0;
  return (): LoadRequest & { eventId: string } => {
    i++;
    let event = recent[recent.length - 3];
    if (i % REDELIVERY_EVERY !== REDELIVERY_EVERY - 1 || !event) {
      // A renewal: each event moves the period end, so every applied event changes what the row
      // entitles and is announced to the instances (the full path, not the cheaper no-change one).
      const sub = subs[i % subs.length]!.subscription;
      const renewed = stripe.setSubscription(sub.id, { price: PRICE_PRO, currentPeriodEnd: createdBase + 30 * 86_400 + i });
      const payload = stripe.event('customer.subscription.updated', renewed, { created: createdBase + i });
      event = { body: JSON.stringify(payload), eventId: payload.id };
      recent.push(event);
      if (recent.length > 100) recent.shift();
    }
    return { ...event, headers: { 'stripe-signature': signStripe(event.body, WEBHOOK_SECRET) } };
  };
}

export async function benchWebhooks(opts: { databaseUrl: string; durationSec: number; rounds: number; redisUrl?: string }): Promise<Record<string, unknown>> {
  const database = await throwawayDatabase(opts.databaseUrl, 'webhooks');
  const stripe = await startFakeStripe({ secretKey: 'sk_test_bench' });
  const baselineServer = await startServer<ServerInfo>('bench/servers/trivial.ts');
  const server = await startServer<ServerInfo>('bench/servers/stellar.ts', {
    DATABASE_URL: database.url,
    REDIS_URL: opts.redisUrl,
    PUBLIC_RATE_LIMIT: '1000000',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_PRICE_PRO: PRICE_PRO,
    STRIPE_PRICE_TEAM: PRICE_TEAM,
    STRIPE_API_URL: stripe.url,
  });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => {});
  try {
    const subs = await subscribers(server.info.url, stripe);
    const webhookUrl = (info: ServerInfo) => info.url.replace(/\/graphql$/, '/webhooks/stripe');

    const baselineStream = eventStream(stripe, subs);
    const measureBaseline = (durationSec: number) =>
      loadRequests({ url: webhookUrl(baselineServer.info), request: baselineStream, connections: CONNECTIONS, durationSec });

    // What the server answered, per event id: the ledger must hold each answered event once.
    const answered = new Map<string, string[]>();
    const stream = eventStream(stripe, subs);
    const databaseCpu = localDatabaseCpu(opts.databaseUrl);
    const measureStellar = async (durationSec: number) => {
      let newEventsApplied = 0;
      const load = () =>
        loadRequests({
          url: webhookUrl(server.info),
          request: stream,
          connections: CONNECTIONS,
          durationSec,
          onResponse: (status, body, request) => {
            const eventId = (request as LoadRequest & { eventId: string }).eventId;
            const outcome = status === 200 ? ((JSON.parse(body) as { outcome?: string }).outcome ?? '?') : `HTTP ${status}`;
            answered.set(eventId, [...(answered.get(eventId) ?? []), outcome]);
            if (outcome === 'APPLIED' || outcome === 'STALE') newEventsApplied++;
          },
        });
      const measured = await withDatabaseCpuPerRequest(databaseCpu, durationSec, () => withCpuPerRequest(server, durationSec, load));
      return { ...measured, newEventsAppliedPerSec: Math.round(newEventsApplied / durationSec) };
    };

    // A warm-up of each, then `rounds` measurements in turn; figures are medians (see auth-limit).
    await measureBaseline(WARM_UP_SEC);
    await measureStellar(WARM_UP_SEC);
    const baselineRounds: Awaited<ReturnType<typeof measureBaseline>>[] = [];
    const stellarRounds: Awaited<ReturnType<typeof measureStellar>>[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      baselineRounds.push(await measureBaseline(opts.durationSec));
      stellarRounds.push(await measureStellar(opts.durationSec));
    }
    const baseline = { requestsPerSec: median(baselineRounds.map((r) => r.requestsPerSec)), rounds: baselineRounds.map((r) => r.requestsPerSec) };
    const measured = summarizeRounds(stellarRounds, {
      medians: ['requestsPerSec', 'newEventsAppliedPerSec', 'cpuUsPerRequest', ...(databaseCpu ? (['databaseCpuUsPerRequest'] as const) : []), 'p50Ms', 'p95Ms', 'p99Ms'],
      totals: ['non2xx', 'errors'],
      perRound: ['requestsPerSec', 'newEventsAppliedPerSec', 'cpuUsPerRequest', ...(databaseCpu ? (['databaseCpuUsPerRequest'] as const) : [])],
    });

    // Events still in flight when the load stopped may commit while we count: one statement reads
    // the ledger and the audit trail from one snapshot (an event's ledger row and audit row commit together).
    const { rows: counts } = await pool.query<{ ledger: { outcome: string; n: number }[] | null; audit: number; answered_in_ledger: number }>(
      `select (select json_agg(o) from (select outcome, count(*)::int as n from webhook_events where provider = 'STRIPE' group by outcome) o) as ledger,
              (select count(*)::int from subscription_events where source = 'webhook') as audit,
              (select count(*)::int from webhook_events where provider = 'STRIPE' and event_id = any($1::text[])) as answered_in_ledger`,
      [[...answered.keys()]],
    );
    const ledger = counts[0]!.ledger ?? [];
    const { audit, answered_in_ledger: answeredInLedger } = counts[0]!;
    const ledgerBy = Object.fromEntries(ledger.map((row) => [row.outcome, row.n]));
    const answers = [...answered.values()];
    const ledgerRows = ledger.reduce((n, row) => n + row.n, 0);
    const exactlyOnce = {
      distinctEventsAnswered: answered.size,
      deliveries: answers.reduce((n, outcomes) => n + outcomes.length, 0),
      duplicateAnswers: answers.reduce((n, outcomes) => n + outcomes.filter((o) => o === 'DUPLICATE').length, 0),
      eventsAnsweredAppliedTwice: answers.filter((outcomes) => outcomes.filter((o) => o === 'APPLIED').length > 1).length,
      ledgerRows,
      ledgerRowsOfAnsweredEvents: answeredInLedger,
      ledgerByOutcome: ledgerBy,
      auditRows: audit,
      // Every answered event in the ledger once (the unique index), none applied twice, one audit row per applied event.
      held:
        answeredInLedger === answered.size &&
        answers.every((outcomes) => outcomes.filter((o) => o === 'APPLIED').length <= 1) &&
        audit === (ledgerBy.APPLIED ?? 0) &&
        // Deliveries in flight when a load (warm-up or round) stopped were not answered to us.
        ledgerRows - answered.size <= CONNECTIONS * (opts.rounds + 1),
    };
    const peakRssMb = Math.round(await server.peakRssMb());
    return {
      rounds: opts.rounds,
      subscribers: SUBSCRIBERS,
      connections: CONNECTIONS,
      redeliveryEvery: REDELIVERY_EVERY,
      baseline,
      stellar: { ...measured, ratioToBaseline: ratio(measured.requestsPerSec, baseline.requestsPerSec) },
      exactlyOnce,
      // New events applied (redeliveries, answered DUPLICATE, do not count), every delivery answered 200, none applied twice.
      target: {
        newEventsAppliedPerSec: 500,
        met: measured.newEventsAppliedPerSec >= 500 && measured.non2xx === 0 && measured.errors === 0 && exactlyOnce.held,
      },
      serverPeakRssMb: { value: peakRssMb, met: peakRssMb < 300 },
    };
  } finally {
    await server.stop();
    await baselineServer.stop();
    await stripe.close();
    await pool.end();
    await database.drop();
  }
}
