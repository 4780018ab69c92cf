import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001_accounts } from './Migration20261122000001_accounts.js';
import { Migration20261122000002_plans } from './Migration20261122000002_plans.js';
import { Migration20261122000003_memories } from './Migration20261122000003_memories.js';
import { Migration20261122000004_billing } from './Migration20261122000004_billing.js';
import { Migration20261122000005_webhooks } from './Migration20261122000005_webhooks.js';
import { Migration20261205000001_security } from './Migration20261205000001_security.js';
import { Migration20261206000001_recall } from './Migration20261206000001_recall.js';
import { Migration20261206000002_agent_terms } from './Migration20261206000002_agent_terms.js';

/** Every migration in order. Listed explicitly so tsx, tsc output and bundles all find them. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122000001_accounts', class: Migration20261122000001_accounts },
  { name: 'Migration20261122000002_plans', class: Migration20261122000002_plans },
  { name: 'Migration20261122000003_memories', class: Migration20261122000003_memories },
  { name: 'Migration20261122000004_billing', class: Migration20261122000004_billing },
  { name: 'Migration20261122000005_webhooks', class: Migration20261122000005_webhooks },
  { name: 'Migration20261205000001_security', class: Migration20261205000001_security },
  { name: 'Migration20261206000001_recall', class: Migration20261206000001_recall },
  { name: 'Migration20261206000002_agent_terms', class: Migration20261206000002_agent_terms },
];
