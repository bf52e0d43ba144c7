// The token commands from the command line: `tshub token USER` creates through the same command as the API
// (the per-user limit holds, `token.create` is on record), and its audit record, written by another process
// than the hub, joins the hub's hash chain so that `tshub audit verify` still finds it intact.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHub, type TestHub } from './harness.ts';
import { runTshub } from './process.ts';

const LIMIT = 3;

describe('token commands from the command line', () => {
  let h: TestHub;
  let cfg: string;

  /** Every audit record, oldest first, as `tshub audit export` gives them (the hub's queue flushed first). */
  const exported = async () => {
    await h.hub.ctx.audit.flush();
    const r = await runTshub(['audit', 'export', '--config', cfg]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  };

  before(async () => {
    h = await startHub({ tokens: { max_active_per_user: LIMIT } });
    await h.addUsers(['cleo', 'dan']);
    cfg = join(h.dir, 'cli.yaml');
    writeFileSync(cfg, [`db_url: "${h.dbUrl}"`, `tokens: { max_active_per_user: ${LIMIT} }`].join('\n'));
  });
  after(() => h.stop());

  test('tshub token obeys tokens.max_active_per_user and records token.create by the command line', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const r = await runTshub(['token', 'cleo', '--config', cfg]);
      assert.equal(r.code, 0, r.stderr);
    }
    const over = await runTshub(['token', 'cleo', '--config', cfg]);
    assert.equal(over.code, 1, over.stdout);
    assert.equal(over.stdout, '');
    assert.match(over.stderr, /Token limit reached: you already have 3 active tokens \(the maximum is 3\)/);
    const created = (await exported()).filter((e) => e.action === 'token.create' && e.target.owner === 'cleo');
    assert.equal(created.length, LIMIT);
    for (const e of created) {
      assert.equal(e.actor.kind, 'system');
      assert.equal(e.actor.name, 'tshub token');
      assert.match(e.reason, /^expires /);
    }
  });

  test("the command line's records and the hub's, written at the same time, make one intact chain", async () => {
    let writing = true;
    let hubEvents = 0;
    // The hub writes its own records (user.create) as fast as it can while the command line writes its own.
    const hubWrites = (async () => {
      while (writing) {
        const r = await h.request('POST', `hub/api/users/busy-${hubEvents}`);
        assert.equal(r.status, 201, r.text);
        hubEvents++;
        await h.hub.ctx.audit.flush();
      }
    })();
    const runs = await Promise.all(Array.from({ length: LIMIT }, () => runTshub(['token', 'dan', '--config', cfg])));
    writing = false;
    await hubWrites;
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.ok(hubEvents > 0, 'the hub wrote while the command line did');
    const records = await exported();
    assert.equal(records.filter((e) => e.action === 'token.create' && e.target.owner === 'dan').length, LIMIT);
    assert.equal(
      records.filter((e) => e.action === 'user.create' && e.target.name.startsWith('busy-')).length,
      hubEvents,
    );
    const verify = await runTshub(['audit', 'verify', '--config', cfg]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /chain intact/);
  });
});
