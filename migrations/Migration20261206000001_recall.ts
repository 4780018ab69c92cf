import { Migration } from '@mikro-orm/migrations';

/**
 * Recall for natural-language questions (docs/recall.md):
 * - `search` becomes `to_tsvector('english', content)`: English stemming and stop words; words of
 *   other languages pass through the English stemmer unchanged enough to match themselves.
 * - its GIN index leads with `user_id` (btree_gin, where the database has it) so one user's
 *   candidates come from that user's postings only, not from every tenant's;
 * - per-agent term statistics for BM25's idf and length normalization, exact in every transaction
 *   (maintained by statement triggers, below);
 * - `occurred_at`: when the remembered thing happened (recency and the `occurred*` filters);
 * - `embedding_claimed_at`: an embedding worker's claim on a memory it is embedding, so that
 *   instances share the backlog instead of embedding the same memories twice.
 */
export class Migration20261206000001_recall extends Migration {
  override up(): void {
    this.addSql(`alter table memories add column occurred_at timestamptz`);
    this.addSql(`update memories set occurred_at = created_at`);
    this.addSql(`alter table memories alter column occurred_at set default now(), alter column occurred_at set not null`);
    this.addSql(`alter table memories add column embedding_claimed_at timestamptz`);

    // Dropping the column drops its index too; the new expression rewrites the table once.
    this.addSql(`alter table memories drop column search`);
    this.addSql(`alter table memories add column search tsvector generated always as (to_tsvector('english', content)) stored`);
    this.addSql(`
      do $$
      begin
        if exists (select 1 from pg_available_extensions where name = 'btree_gin') then
          create extension if not exists btree_gin;
        end if;
        if exists (select 1 from pg_extension where extname = 'btree_gin') then
          create index memories_search_idx on memories using gin (user_id, search);
        else
          create index memories_search_idx on memories using gin (search);
        end if;
      end
      $$`);

    // Term statistics, per agent: for each lexeme the memories holding it (docs) and its occurrences
    // (tokens); the lexeme '' (never a real lexeme) holds the agent's memory count and total length.
    // Stores append signed deltas (no row is ever updated by a store, so concurrent stores never
    // wait on each other here, whatever the lexemes); reads add `memory_terms` and the deltas up; a
    // job folds the deltas into `memory_terms` (src/services/memories/memory-jobs.ts).
    this.addSql(`
      create table memory_terms (
        agent_id uuid not null,
        lexeme text not null,
        docs bigint not null,
        tokens bigint not null,
        primary key (agent_id, lexeme)
      )`);
    this.addSql(`
      create table memory_term_deltas (
        agent_id uuid not null,
        lexeme text not null,
        docs bigint not null,
        tokens bigint not null
      )`);
    this.addSql(`create index memory_term_deltas_key_idx on memory_term_deltas (agent_id, lexeme)`);

    // Every insert and delete of memories, however it happens (a store, a batch, forgetMemory,
    // deleteAgent, the expiry sweep, a user's cascade), counts in the same statement. An insert that
    // deduplicates (ON CONFLICT DO UPDATE) is an update, not an insert: it counts nothing. Content
    // never changes after the insert (guarded below), so updates never change the statistics.
    this.addSql(`
      create function count_memory_terms() returns trigger language plpgsql as $$
      declare
        sign int := case when tg_op = 'INSERT' then 1 else -1 end;
      begin
        insert into memory_term_deltas (agent_id, lexeme, docs, tokens)
        select t.agent_id, t.lexeme, sign * count(*), sign * sum(t.tf)
        from (
          select c.agent_id, u.lexeme, coalesce(array_length(u.positions, 1), 1) as tf
          from changed c, unnest(c.search) u
        ) t
        group by t.agent_id, t.lexeme
        union all
        select c.agent_id, '', sign * count(*),
               sign * coalesce(sum((select sum(coalesce(array_length(u.positions, 1), 1)) from unnest(c.search) u)), 0)
        from changed c
        group by c.agent_id;
        return null;
      end
      $$`);
    this.addSql(`
      create trigger memories_count_inserted after insert on memories
      referencing new table as changed for each statement execute function count_memory_terms()`);
    this.addSql(`
      create trigger memories_count_deleted after delete on memories
      referencing old table as changed for each statement execute function count_memory_terms()`);
    this.addSql(`
      create function refuse_content_change() returns trigger language plpgsql as $$
      begin
        raise exception 'the content of a memory never changes (its term statistics count it as stored)';
      end
      $$`);
    this.addSql(`
      create trigger memories_content_fixed before update of content on memories
      for each row when (old.content is distinct from new.content) execute function refuse_content_change()`);

    // The memories stored before this migration.
    this.addSql(`
      insert into memory_terms (agent_id, lexeme, docs, tokens)
      select t.agent_id, t.lexeme, count(*), sum(t.tf)
      from (select m.agent_id, u.lexeme, coalesce(array_length(u.positions, 1), 1) as tf from memories m, unnest(m.search) u) t
      group by t.agent_id, t.lexeme
      union all
      select m.agent_id, '', count(*), coalesce(sum((select sum(coalesce(array_length(u.positions, 1), 1)) from unnest(m.search) u)), 0)
      from memories m
      group by m.agent_id`);
  }

  override down(): void {
    this.addSql('drop trigger memories_content_fixed on memories');
    this.addSql('drop trigger memories_count_deleted on memories');
    this.addSql('drop trigger memories_count_inserted on memories');
    this.addSql('drop function refuse_content_change()');
    this.addSql('drop function count_memory_terms()');
    this.addSql('drop table memory_term_deltas');
    this.addSql('drop table memory_terms');
    this.addSql('alter table memories drop column search');
    this.addSql(`alter table memories add column search tsvector generated always as (to_tsvector('simple', content)) stored`);
    this.addSql('create index memories_search_idx on memories using gin (search)');
    this.addSql('alter table memories drop column embedding_claimed_at');
    this.addSql('alter table memories drop column occurred_at');
  }
}
