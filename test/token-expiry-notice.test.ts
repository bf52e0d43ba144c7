// token.expiring notices with thresholds in seconds: a loopback webhook receiver gets signed events (and
// a retry after its 500), a loopback SMTP server gets the mail, a restarted check sends nothing again, and
// the mail's link opens the token page's form pre-filled, in Chromium.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { TokensSchema } from '../src/config/schema-tokens.ts';
import { type JsonSchema, validate } from '../src/config/validate.ts';
import { Notifier } from '../src/notify/index.ts';
import { crossedThresholds, recipientOf } from '../src/tokens/expiry-notice-rules.ts';
import { ExpiryNotices } from '../src/tokens/expiry-notice.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { tokensPath } from './token-helpers.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SECRET = 'a-webhook-secret-of-some-length';
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

interface Hit {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

async function until<T>(what: string, probe: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the rules', () => {
  test('the tightest crossed threshold not told yet; wider ones crossed with it are not news later', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const t = { expires_at: new Date(now + 5 * 86400_000).toISOString() };
    const days = [30, 7, 1].map((d) => d * 86400);
    assert.deepEqual(crossedThresholds(t, days, [], now), [30 * 86400, 7 * 86400]);
    assert.deepEqual(crossedThresholds(t, days, [7 * 86400], now), []);
    assert.deepEqual(crossedThresholds(t, days, [30 * 86400], now), [7 * 86400]);
    assert.deepEqual(crossedThresholds({ expires_at: null }, days, [], now), []);
  });

  test('bad settings are refused by the config schema, and the webhook secret is never printed', () => {
    // Defaults are filled in before validation: what is missing here is not what is tested.
    const problems = (notice: unknown) =>
      validate(TokensSchema as unknown as JsonSchema, { expiry_notice: notice }).filter(
        (p) => !/^is missing/.test(p.text),
      );
    assert.deepEqual(problems({}), []);
    assert.ok(problems({ days: [0] }).length > 0);
    assert.ok(problems({ seconds: [] }).length > 0);
    assert.ok(problems({ check_interval_seconds: 0 }).length > 0);
    assert.ok(problems({ webhook: { url: 'file:///etc/passwd', secret: SECRET } }).length > 0);
    assert.ok(problems({ webhook: { url: 'http://127.0.0.1/', secret: 'short' } }).length > 0);
    assert.ok(problems({ smtp: { host: 'mail', from: 'a@b', password: 'x' } }).length > 0, 'no password in the file');
    const leaked = JSON.stringify(problems({ webhook: { url: 'http://127.0.0.1/', secret: 'short-secret' } }));
    assert.equal(leaked.includes('short-secret'), false, leaked);
  });

  test('mail addresses: a name that is one, else <name>@email_domain, else none', () => {
    assert.equal(recipientOf('ann@example.org', null), 'ann@example.org');
    assert.equal(recipientOf('ann', 'example.org'), 'ann@example.org');
    assert.equal(recipientOf('ann', null), null);
    assert.equal(recipientOf('a@b', 'example.org'), null, 'not an address, and not a plain name');
  });
});

describe('token.expiring by webhook and mail', () => {
  let h: TestHub;
  let hooks: Server;
  let smtp: SMTPServer;
  let browser: Browser | undefined;
  const hits: Hit[] = [];
  const mails: { to: string; raw: string }[] = [];
  let failNext = 1;
  let expiresAt = '';

  before(async () => {
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = failNext-- > 0 ? 500 : 204;
        hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address).join(','),
            raw: Buffer.concat(chunks).toString(),
          });
          done();
        });
      },
    });
    await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
    h = await startInProcessHub(
      {
        tokens: {
          expiry_notice: {
            seconds: [30, 6],
            check_interval_seconds: 1,
            webhook: {
              url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
              secret: SECRET,
              max_attempts: 3,
            },
            smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, from: 'hub@example.org' },
            email_domain: 'example.org',
          },
        },
      },
      { listen: true },
    );
    await h.addUsers(['mia']);
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
    hooks?.close();
    await new Promise<void>((ok) => (smtp ? smtp.close(() => ok()) : ok()));
  });

  const events = () => hits.filter((x) => x.status === 204).map((x) => ({ ...x, event: JSON.parse(x.body) }));

  test('signed events at each threshold, retried after a 500, once each, and the mail', async () => {
    const made = (
      await h.request('POST', tokensPath('mia'), {
        body: { note: 'nightly build', expires_in: 12, scopes: ['read:users!user', 'read:servers!user'] },
      })
    ).json;
    expiresAt = made.expires_at;
    const first = await until('the first event', () => events()[0]);
    // The first attempt got a 500; the retry carries the same delivery id and body.
    assert.equal(hits[0]!.status, 500);
    assert.equal(hits[0]!.headers['tshub-delivery'], first.headers['tshub-delivery']);
    assert.equal(hits[0]!.body, first.body);
    for (const hit of hits) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(hit.body).digest('hex')}`;
      assert.equal(hit.headers['tshub-signature-256'], expected, 'HMAC-SHA256 of the exact body');
      assert.equal(hit.headers['tshub-event'], 'token.expiring');
      assert.match(String(hit.headers['content-type']), /^application\/json/);
    }
    const e = first.event;
    assert.equal(e.type, 'token.expiring');
    assert.equal(e.threshold_seconds, 30);
    assert.equal(e.token.id, made.id);
    assert.equal(e.token.note, 'nightly build');
    assert.deepEqual(e.token.owner, { kind: 'user', name: 'mia' });
    assert.equal(e.token.expires_at, new Date(made.expires_at).toISOString());
    assert.equal(e.renew_url, new URL(`hub/token?renew=${made.id}`, h.url).toString());
    assert.equal(JSON.stringify(e).includes(made.token), false, 'never the secret');

    const second = await until('the 6 s event', () => events().find((x) => x.event.threshold_seconds === 6));
    assert.ok(second.event.expires_in_seconds <= 6, String(second.event.expires_in_seconds));
    await sleep(2500);
    assert.deepEqual(
      events().map((x) => x.event.threshold_seconds),
      [30, 6],
      'each threshold once',
    );

    const mail = await until('the mail', () => mails.find((m) => m.to === 'mia@example.org'));
    // The subject is MIME-encoded (it holds quotes): words joined by underscores.
    assert.match(mail.raw, /^Subject: =\?UTF-8\?Q\?Your_API_token_=22nightly_build=22_expir/m);
    // Quoted-printable may fold lines and escape '='.
    const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    assert.ok(text.includes(e.renew_url), text);
    assert.equal(mails.length, 2, 'one mail per threshold');
  });

  test('what was sent is in the database: a restarted check sends nothing again', async () => {
    const before = hits.length;
    const quiet = new Notifier({ webhook: h.hub.ctx.config.tokens.expiry_notice.webhook, smtp: null }, h.hub.ctx.log);
    // A moment when the token was still live and past both thresholds: a fresh scheduler finds both told.
    const sent = await new ExpiryNotices(h.hub.ctx, quiet).check(Date.parse(expiresAt) - 1000);
    assert.equal(sent, 0);
    const rows = await h.hub.ctx.k.selectFrom('token_expiry_notices').select('before_seconds').execute();
    assert.deepEqual(
      rows.map((r) => r.before_seconds).sort((a, b) => a - b),
      [6, 30],
    );
    assert.equal(hits.length, before);
  });

  test('the link opens the token page with the form pre-filled', {
    skip: CHROMIUM ? false : 'no chromium',
  }, async () => {
    const link = events()[0]!.event.renew_url as string;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage();
    await page.goto(link);
    // Not signed in: the login page first, then back to the link.
    await page.getByLabel('Username').fill('mia');
    await page.getByLabel('Password').fill('any');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/hub/token'));
    assert.equal(new URL(page.url()).searchParams.get('renew'), new URL(link).searchParams.get('renew'));
    assert.equal(await page.locator('#token-note').inputValue(), 'nightly build');
    assert.equal(await page.locator('#scope-mode-some').isChecked(), true);
    assert.equal(await page.locator('input.scope-choice[value="read:users!user"]').isChecked(), true);
    assert.equal(await page.locator('input.scope-choice[value="read:servers!user"]').isChecked(), true);
    assert.equal(await page.locator('input.scope-choice[value="tokens!user"]').isChecked(), false);
    assert.equal(await page.locator('input.scope-choice[value="read:users!user"]').isEnabled(), true);
    assert.equal(await page.locator('#token-expires').inputValue(), '12');

    // Rotate with a grace chosen on the page: the old token works on for that long.
    const old = (await h.request('POST', tokensPath('mia'), { body: { note: 'deploy key', expires_in: 86400 } })).json;
    await page.goto(new URL('hub/token', h.url).toString());
    await page.locator('#rotate-grace').selectOption('3600');
    page.once('dialog', (d) => {
      assert.match(d.message(), /stops working after 1 hour/);
      void d.accept();
    });
    await page.getByRole('button', { name: 'Rotate token “deploy key”' }).click();
    await page.locator('#new-token').waitFor({ state: 'visible' });
    const fresh = await page.locator('#new-token-value').inputValue();
    assert.equal((await h.request('GET', 'hub/api/user', { token: fresh })).status, 200);
    const was = (await h.request('GET', tokensPath('mia', `/${old.id}`))).json;
    const graceLeft = Date.parse(was.expires_at) - Date.now();
    assert.ok(graceLeft > 3_500_000 && graceLeft <= 3_600_000, String(graceLeft));
    assert.equal((await h.request('GET', 'hub/api/user', { token: old.token })).status, 200, 'within the grace');
    await page.close();
  });
});
