// tshub tokens scan: a notebook under a temporary home holds a live token in an output cell and a look-alike
// with a bad checksum; the scan reports (and with --revoke revokes) only the live one, finds a token in an
// attachment and in a binary file too, tells the owner by webhook, and as a managed service (--watch) revokes
// a token written into a home directory after it started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { ROOT, runTshub, TSHUB } from './process.ts';
import { digestToken } from '../src/tokens/format.ts';
import { whoami } from './token-helpers.ts';

const SECRET = 'a-webhook-secret-of-some-length';
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function lookAlike(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + (last === 'a' ? 'b' : 'a');
}

function notebook(cells: unknown[]): string {
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
}

describe('tshub tokens scan', () => {
  let h: TestHub;
  let hooks: Server;
  let home: string;
  let cfg: string;
  const hits: { event: string; body: Record<string, any> }[] = [];
  let annLive = '';
  let annKept = '';
  let bobLive = '';
  let bobBinary = '';
  let nbPath = '';

  const scan = (...args: string[]) => runTshub(['tokens', 'scan', ...args, '--config', cfg]);
  const alive = async (t: string) => (await whoami(h, t)).status === 200;
  // The scanner is another process: the running hub notices its revocations at the latest when its caches
  // expire (PERMISSIONS_TTL_MS, 60 s), as with every command-line change; the test does not wait that long.
  const revokedInDb = async (t: string) => {
    const row = await h.hub.ctx.k
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('hashed', '=', digestToken(t))
      .executeTakeFirstOrThrow();
    return row.revoked_at !== null;
  };
  const dead = async (t: string) => {
    if (!(await revokedInDb(t))) return false;
    h.hub.ctx.permissions.invalidate();
    return (await whoami(h, t)).status === 403;
  };

  before(async () => {
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ event: String(req.headers['tshub-event']), body: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
    h = await startInProcessHub();
    await h.addUsers(['ann', 'bob']);
    annLive = await h.tokenFor('ann', { note: 'printed in a notebook' });
    annKept = await h.tokenFor('ann', { note: 'kept safe' });
    bobLive = await h.tokenFor('bob', { note: 'in a screenshot' });
    bobBinary = await h.tokenFor('bob', { note: 'in history' });

    home = mkdtempSync(join(tmpdir(), 'tshub-scan-home-'));
    mkdirSync(join(home, 'ann', 'work'), { recursive: true });
    mkdirSync(join(home, 'bob'), { recursive: true });
    nbPath = join(home, 'ann', 'work', 'analysis.ipynb');
    writeFileSync(
      nbPath,
      notebook([
        { cell_type: 'markdown', metadata: {}, source: ['# Analysis\n'] },
        {
          cell_type: 'code',
          metadata: {},
          execution_count: 1,
          source: ['import os\n', "os.environ['JUPYTERHUB_API_TOKEN']"],
          outputs: [
            { output_type: 'stream', name: 'stdout', text: ['starting\n'] },
            {
              output_type: 'execute_result',
              execution_count: 1,
              metadata: {},
              data: { 'text/plain': [`'${annLive}'`] },
            },
            { output_type: 'stream', name: 'stdout', text: [`old: ${lookAlike(annKept)}\n`] },
          ],
        },
      ]),
    );
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), Buffer.from(bobLive)]);
    writeFileSync(
      join(home, 'bob', 'notes.ipynb'),
      notebook([
        {
          cell_type: 'markdown',
          metadata: {},
          source: 'see ![shot](attachment:shot.png)',
          attachments: { 'shot.png': { 'image/png': png.toString('base64') } },
        },
      ]),
    );
    writeFileSync(
      join(home, 'bob', 'history.sqlite'),
      Buffer.concat([Buffer.alloc(64), Buffer.from(`x=${bobBinary};`), Buffer.alloc(64)]),
    );
    cfg = join(h.dir, 'scan.yaml');
    const hook = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
    writeFileSync(
      cfg,
      [`db_url: "${h.dbUrl}"`, `tokens: { expiry_notice: { webhook: { url: "${hook}", secret: "${SECRET}" } } }`].join(
        '\n',
      ),
    );
  });
  after(async () => {
    await h?.stop();
    hooks?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('reports the live tokens with file, cell and output; not the look-alike; revokes nothing', async () => {
    const r = await scan(home, '--json');
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    const places = out.live.map((f: any) => [f.file, f.cell, f.output, f.attachment, f.owner.name, f.note, f.revoked]);
    assert.deepEqual(
      places.sort(),
      [
        [join(home, 'ann', 'work', 'analysis.ipynb'), 1, 1, null, 'ann', 'printed in a notebook', false],
        [join(home, 'bob', 'history.sqlite'), null, null, null, 'bob', 'in history', false],
        [join(home, 'bob', 'notes.ipynb'), 0, null, 'shot.png', 'bob', 'in a screenshot', false],
      ].sort(),
    );
    assert.equal(r.stdout.includes(annLive), false, 'the report never holds the secret');
    for (const t of [annLive, annKept, bobLive, bobBinary]) assert.ok(await alive(t));
  });

  test('--revoke revokes only the live ones found, audited, and tells their owners', async () => {
    const r = await scan(home, '--revoke');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /analysis\.ipynb cell 1 output 1: live token a\d+ \(\w+…\) of user ann, revoked/);
    for (const t of [annLive, bobLive, bobBinary]) assert.ok(await dead(t));
    assert.equal(await revokedInDb(annKept), false, 'its look-alike in the notebook did not touch it');
    assert.ok(await alive(annKept));
    const rows = await h.hub.ctx.k
      .selectFrom('audit_log')
      .select(['target_owner', 'actor_name'])
      .where('action', '=', 'token.revoke')
      .where('reason', '=', 'reported leaked')
      .execute();
    assert.deepEqual(rows.map((x) => x.target_owner).sort(), ['ann', 'bob', 'bob']);
    assert.ok(rows.every((x) => x.actor_name === 'tshub tokens scan'));
    const leaked = hits.filter((x) => x.event === 'token.leaked');
    assert.equal(leaked.length, 3);
    const ann = leaked.find((x) => x.body.token.owner.name === 'ann')!;
    assert.equal(ann.body.source.place, `${nbPath} (cell 1, output 1)`);

    const again = await scan(home, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).live, []);
  });

  test('bad arguments exit 2', async () => {
    assert.equal((await scan()).code, 2);
    assert.equal((await scan(home, '--watch', home)).code, 2);
    assert.equal((await scan('--watch', home, '--interval', 'soon')).code, 2);
  });

  test('--watch: a managed service revokes a token written into a home after it started, and stops on SIGTERM', async () => {
    const proc = spawn(TSHUB[0]!, [TSHUB[1]!, 'tokens', 'scan', '--watch', home, '--interval', '1', '--config', cfg], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c));
    proc.stderr.on('data', (c: Buffer) => (output += c));
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    try {
      await until('the first round', () => output.includes('token scan round'));
      const fresh = await h.tokenFor('ann', { note: 'written later' });
      writeFileSync(join(home, 'ann', 'later.py'), `TOKEN = "${fresh}"\n`);
      await until('the new token to be revoked', () => revokedInDb(fresh));
      assert.ok(await dead(fresh));
      assert.ok(await alive(annKept));
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
  });
});
