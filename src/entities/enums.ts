/**
 * The enums shared by the data model, the services and the GraphQL schema. Their values are what
 * the database stores and what the schema exposes, so renaming one is a migration and an API change.
 */

export enum Tier {
  FREE = 'FREE',
  PRO = 'PRO',
  TEAM = 'TEAM',
}

export enum Provider {
  STRIPE = 'STRIPE',
  LEMON_SQUEEZY = 'LEMON_SQUEEZY',
  TOSS = 'TOSS',
  DEMO = 'DEMO',
}

export enum SubscriptionStatus {
  ACTIVE = 'ACTIVE',
  PAST_DUE = 'PAST_DUE',
  CANCELED = 'CANCELED',
  EXPIRED = 'EXPIRED',
}

export enum QuotaResource {
  MEMORIES = 'MEMORIES',
  AGENTS = 'AGENTS',
  API_KEYS = 'API_KEYS',
}

export enum Zone {
  CORE = 'CORE',
  INNER = 'INNER',
  OUTER = 'OUTER',
  BELT = 'BELT',
  CLOUD = 'CLOUD',
}

export enum WebhookOutcome {
  APPLIED = 'APPLIED',
  STALE = 'STALE',
  IGNORED = 'IGNORED',
  FAILED = 'FAILED',
}
