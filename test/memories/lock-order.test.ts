import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/services/memories/store-rows.js';
import { useTestServer } from '../support/server.js';

/**
 * Stores lock memory rows in one order in JavaScript (a batch, row by row) and in SQL (a combined
 * write, one statement ordered by `collate "C"`). If the two orders disagreed, two writers of one
 * user could each hold a row the other waits for.
 */

const ctx = useTestServer();

describe('lock order', () => {
  it('compareText sorts exactly as PostgreSQL\'s "C" collation does: case, punctuation, accents, private-use and emoji', async () => {
    const texts = ['b', 'B', 'a', 'A', '_x', '-x', ' x', 'x', 'xa', 'é', 'e', 'z', '\u{E000}', '\u{FFFD}', '🙂', '𝒜', '日本', 'Ω', '10', '9', ''];
    const list = texts.map(() => '?::text').join(', ');
    const [row] = await ctx.server.sql<{ sorted: string[] }>(`select array(select t from unnest(array[${list}]) as t order by t collate "C") as sorted`, texts);
    expect([...texts].sort(compareText)).toEqual(row!.sorted);
  });
});
