import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Db } from './connect.ts';
import { openTestDb, TEST_POSTGRES } from './test-helpers.ts';

// Migration 006: the service and session indexes of api_tokens hold only rows with a value, and the
// lookups by service or session still use them.
describe('api_tokens partial indexes', { skip: TEST_POSTGRES ? 'SQLite query plans' : false }, () => {
  let db: Db;
  before(async () => {
    db = await openTestDb();
  });
  after(() => db.close());

  const plan = async (query: string) =>
    (await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(db.k)).rows
      .map((r) => r.detail)
      .join('; ');

  test('lookups by service and by session use them', async () => {
    assert.match(
      await plan('select * from api_tokens where service_id = 3'),
      /USING (COVERING )?INDEX api_tokens_service\b/,
    );
    assert.match(
      await plan("select id from api_tokens where session_id = 'abc'"),
      /USING (COVERING )?INDEX api_tokens_session\b/,
    );
  });

  test('they are partial: rows without a service or session are not in them', async () => {
    const rows = await sql<{
      name: string;
      partial: number;
    }>`select name, partial from pragma_index_list('api_tokens')`.execute(db.k);
    const partial = new Map(rows.rows.map((r) => [r.name, r.partial]));
    assert.equal(partial.get('api_tokens_service'), 1);
    assert.equal(partial.get('api_tokens_session'), 1);
    assert.equal(partial.get('api_tokens_user'), 0, 'the owner index stays whole');
  });
});
