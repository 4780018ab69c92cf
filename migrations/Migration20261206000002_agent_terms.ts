import { Migration } from '@mikro-orm/migrations';

/**
 * Lexical candidates from per-agent postings (docs/recall.md, "Candidates"). The GIN index on
 * `(user_id, search)` answered `user_id = $1 and search @@ word` by intersecting the word's postings
 * with every memory of the user: for a user with 500,000 memories that read ~450 index pages per
 * query word (10 ms), whatever the word. Keyed by "<agent id> <lexeme>", a word's posting list holds
 * exactly that agent's memories with that word (6 pages, under 1 ms for a word held by 10,000 of
 * them), and another tenant's memories are never even in the lists a recall reads.
 *
 * Also: each page of `memories` keeps a tenth free, so that a recall's bump of its hits' recall
 * count and time can be a HOT update (same page, no indexed column changed). On a full page the new
 * row version goes elsewhere and every index gets an entry for it, the HNSW index included: an
 * insert into the vector graph per recalled memory (~5 ms each at 500,000 memories).
 */
export class Migration20261206000002_agent_terms extends Migration {
  override up(): void {
    this.addSql(`
      create function memory_agent_terms(agent_id uuid, search tsvector) returns text[]
      language sql immutable strict parallel safe
      return array(select agent_id::text || ' ' || lexeme from unnest(tsvector_to_array(search)) as lexeme)`);
    // fastupdate off: with GIN's pending list every recall scanned all the entries added since the
    // last vacuum (up to 4 MB: ~480 pages per query word after 50,000 stores, 5 ms instead of 1).
    this.addSql(`create index memories_agent_terms_idx on memories using gin (memory_agent_terms(agent_id, search)) with (fastupdate = off)`);
    this.addSql(`drop index memories_search_idx`);
    this.addSql(`alter table memories set (fillfactor = 90)`);
  }

  override down(): void {
    this.addSql(`alter table memories reset (fillfactor)`);
    this.addSql(`create index memories_search_idx on memories using gin (search)`);
    this.addSql(`drop index memories_agent_terms_idx`);
    this.addSql(`drop function memory_agent_terms(uuid, tsvector)`);
  }
}
