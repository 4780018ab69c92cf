import { Migration } from '@mikro-orm/migrations';

/**
 * A memory's recall count and time move to their own narrow table, `memory_recalls` (a row once the
 * memory has been recalled). Every recall bumps its hits in the same statement (SPEC §7). As
 * columns of `memories` each bump wrote a new version of the memory row; when its page had no room
 * (a memory recalled again and again fills its page with its own versions faster than they can be
 * pruned while other recalls hold the page) the version went to another page and every index got an
 * entry for it, the HNSW index included: ~4 ms of PostgreSQL CPU per recalled memory at 500,000
 * memories, and recall at 500,000 memories went from 23 to 96 ms of PostgreSQL CPU after a few
 * thousand recalls of the same memories (docs/recall.md). A bump is now an upsert into a table whose
 * only index is its key.
 */
export class Migration20261207000001_recall_counts extends Migration {
  override up(): void {
    this.addSql(`
      create table memory_recalls (
        memory_id uuid primary key references memories (id) on delete cascade,
        recall_count integer not null,
        last_recalled_at timestamptz not null
      ) with (fillfactor = 70)`);
    this.addSql(`
      insert into memory_recalls (memory_id, recall_count, last_recalled_at)
      select id, recall_count, coalesce(last_recalled_at, updated_at) from memories where recall_count > 0`);
    this.addSql(`alter table memories drop column recall_count, drop column last_recalled_at`);
  }

  override down(): void {
    this.addSql(`alter table memories add column last_recalled_at timestamptz, add column recall_count integer not null default 0`);
    this.addSql(`update memories m set recall_count = r.recall_count, last_recalled_at = r.last_recalled_at from memory_recalls r where r.memory_id = m.id`);
    this.addSql(`drop table memory_recalls`);
  }
}
