import type { MigrationObject } from '@mikro-orm/core';

type MigrationModule = Record<string, MigrationObject['class'] | undefined>;

/**
 * Every migration in order: its name, which its file exports as a class, and how to load it. Listed
 * explicitly (static import paths) so tsx, tsc output and bundles all find them. The names alone let
 * a start on an up-to-date database skip loading the migrator and the classes (src/db/orm.ts).
 */
const migrations: Record<string, () => Promise<MigrationModule>> = {
  Migration20261122000001_accounts: () => import('./Migration20261122000001_accounts.js'),
  Migration20261122000002_plans: () => import('./Migration20261122000002_plans.js'),
  Migration20261122000003_memories: () => import('./Migration20261122000003_memories.js'),
  Migration20261122000004_billing: () => import('./Migration20261122000004_billing.js'),
  Migration20261122000005_webhooks: () => import('./Migration20261122000005_webhooks.js'),
  Migration20261205000001_security: () => import('./Migration20261205000001_security.js'),
  Migration20261206000001_recall: () => import('./Migration20261206000001_recall.js'),
  Migration20261206000002_agent_terms: () => import('./Migration20261206000002_agent_terms.js'),
  Migration20261207000001_recall_counts: () => import('./Migration20261207000001_recall_counts.js'),
};

export const migrationNames: readonly string[] = Object.keys(migrations);

/** The migration classes, loaded only when some migration is pending. */
export async function loadMigrations(): Promise<MigrationObject[]> {
  return Promise.all(
    Object.entries(migrations).map(async ([name, load]) => {
      const found = (await load())[name];
      if (!found) throw new Error(`migrations/${name} does not export ${name}`);
      return { name, class: found };
    }),
  );
}
