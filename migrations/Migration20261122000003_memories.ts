import { Migration } from '@mikro-orm/migrations';

/**
 * Agents and memories (docs/memories.md). The optional `embedding vector(n)` column is not here: its
 * dimension comes from EMBEDDINGS_DIM and pgvector may be missing, so src/db/vector.ts adds it at
 * start when it can.
 */
export class Migration20261122000003_memories extends Migration {
  override up(): void {
    this.addSql(`
      create table agents (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        name text not null,
        created_at timestamptz not null default now(),
        unique (user_id, name)
      )`);
    // Every account has the agent "default"; accounts created before this migration get theirs here.
    this.addSql(`insert into agents (id, user_id, name, created_at) select gen_random_uuid(), id, 'default', created_at from users`);
    this.addSql(`
      insert into quota_counters (user_id, resource, used)
      select user_id, 'AGENTS', count(*) from agents group by user_id
      on conflict (user_id, resource) do update set used = excluded.used`);

    // fillfactor leaves room on each page so a recall's bump (recall_count, last_recalled_at) is a HOT update.
    this.addSql(`
      create table memories (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        agent_id uuid not null references agents(id) on delete cascade,
        content text not null,
        importance double precision not null check (importance >= 0 and importance <= 1),
        tags text[] not null default '{}',
        metadata jsonb,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_recalled_at timestamptz,
        recall_count integer not null default 0,
        expires_at timestamptz,
        search tsvector generated always as (to_tsvector('simple', content)) stored
      ) with (fillfactor = 90)`);
    // Deduplication: identical (trimmed) content once per agent; the ON CONFLICT target of a store.
    this.addSql(`create unique index memories_agent_content_key on memories (agent_id, md5(content))`);
    this.addSql(`create index memories_search_idx on memories using gin (search)`);
    // Listing newest first, per user or per agent, with (created_at, id) keyset cursors.
    this.addSql(`create index memories_user_created_idx on memories (user_id, created_at desc, id desc)`);
    this.addSql(`create index memories_agent_created_idx on memories (agent_id, created_at desc, id desc)`);
    this.addSql(`create index memories_expires_idx on memories (expires_at) where expires_at is not null`);

    // A store inserts its memory and counts it in one statement; when the quota refuses, the statement
    // calls this to abort itself, insert included (src/services/limits/quota.ts QUOTA_REFUSED_SQLSTATE).
    this.addSql(`
      create function refuse_over_quota(resource text) returns boolean language plpgsql volatile as $$
      begin
        raise exception 'quota exceeded: %', resource using errcode = 'QX001';
      end
      $$`);

    // A store's idempotency key: claimed by the first request, answered from here for 24 hours.
    this.addSql(`
      create table memory_idempotency_keys (
        user_id uuid not null references users(id) on delete cascade,
        key text not null,
        request_hash text not null,
        memory_id uuid references memories(id) on delete cascade,
        deduped boolean not null default false,
        created_at timestamptz not null default now(),
        primary key (user_id, key)
      )`);
    this.addSql(`create index memory_idempotency_keys_created_idx on memory_idempotency_keys (created_at)`);
  }

  override down(): void {
    this.addSql('drop table memory_idempotency_keys');
    this.addSql('drop table memories');
    this.addSql('drop function refuse_over_quota(text)');
    this.addSql(`delete from quota_counters where resource in ('AGENTS', 'MEMORIES')`);
    this.addSql('drop table agents');
  }
}
