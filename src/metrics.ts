import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the service exports (docs/operations.md), in one place. One registry per runtime,
 * so several server instances in one process (tests) never share or collide.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

  return {
    registry,
    httpDuration: new Histogram({
      name: 'stellar_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'stellar_graphql_operation_duration_seconds',
      help: 'GraphQL operation latency by operation name and type',
      labelNames: ['operation', 'type', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    mcpToolDuration: new Histogram({
      name: 'stellar_mcp_tool_call_duration_seconds',
      help: 'MCP tool call latency by tool and outcome (ok, or the error code the call was refused with)',
      labelNames: ['tool', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: 'stellar_rate_limit_refusals_total',
      help: 'Operations refused by a rate limit, by tier (or "ip" for the per-IP limit on public mutations)',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    quotaRefusals: new Counter({
      name: 'stellar_quota_refusals_total',
      help: 'Writes refused by a plan quota, by tier and resource',
      labelNames: ['tier', 'resource'] as const,
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'stellar_webhook_events_total',
      help: 'Webhook deliveries by provider and outcome (APPLIED, STALE, IGNORED, FAILED, DUPLICATE, REJECTED, NOT_CONFIGURED)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'stellar_job_runs_total',
      help: 'Scheduled job runs by job and outcome',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'stellar_job_duration_seconds',
      help: 'Scheduled job run time',
      labelNames: ['job'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    dbPool: new Gauge({
      name: 'stellar_db_pool_connections',
      help: 'Database pool connections by state (used, free, pending acquires)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Counts a rate-limit or quota refusal (by the error's code and extensions), whichever endpoint refused. */
export function countRefusal(metrics: Metrics, tier: string, extensions: Record<string, unknown> | undefined): void {
  const code = extensions?.code;
  if (code === 'RATE_LIMITED') metrics.rateLimitRefusals.inc({ tier });
  if (code === 'QUOTA_EXCEEDED') metrics.quotaRefusals.inc({ tier, resource: String(extensions?.resource) });
}

/** Operation names come from clients: only sane ones become label values, and only so many. */
const MAX_OPERATION_LABELS = 500;
export function operationLabel(seen: Set<string>, name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'invalid';
  if (seen.has(name)) return name;
  if (seen.size >= MAX_OPERATION_LABELS) return 'other';
  seen.add(name);
  return name;
}
