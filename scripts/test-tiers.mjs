#!/usr/bin/env node
// The test tiers and which test file belongs to which, in one place (package.json's scripts call this).
//   unit: every src/**/*.test.ts and the test/ files that use the in-process hub (test/inprocess.ts):
//         no hub process, no proxy, no single-user server; the fast tier, run by test:watch and, on
//         PostgreSQL, by test:pg.
//   e2e:  every other test/**/*.test.ts (real hub processes, proxies, servers, browsers), so a new test
//         file runs here until it is listed as in-process.
//   chp:  the server tests again, through configurable-http-proxy (run with TSHUB_TEST_PROXY=chp).
// usage: node scripts/test-tiers.mjs unit|e2e|chp [--watch] | node scripts/test-tiers.mjs --list TIER
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, globSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** test/ files that run on the in-process hub only. */
const IN_PROCESS = [
  'test/api-basics.test.ts',
  'test/api-groups.test.ts',
  'test/api-rbac.test.ts',
  'test/api-services-write.test.ts',
  'test/api-services.test.ts',
  'test/api-tokens-limits.test.ts',
  'test/api-tokens.test.ts',
  'test/api-users-listing.test.ts',
  'test/api-users.test.ts',
  'test/audit.test.ts',
  'test/bad-input.test.ts',
  'test/cookie-flags.test.ts',
  'test/credentials-revoke.test.ts',
  'test/fuzz.test.ts',
  'test/landing-pages.test.ts',
  'test/login.test.ts',
  'test/metrics.test.ts',
  'test/oauth-introspect.test.ts',
  'test/openapi.test.ts',
  'test/password-2fa.test.ts',
  'test/password-approval.test.ts',
  'test/password-auth.test.ts',
  'test/password-change.test.ts',
  'test/profiles.test.ts',
  'test/rate-limits.test.ts',
  'test/read-cache.test.ts',
  'test/rest-api-conformance.test.ts',
  'test/security-headers.test.ts',
  'test/service-tokens.test.ts',
  'test/shares-api.test.ts',
  'test/signup.test.ts',
  'test/token-expiry-headers.test.ts',
  'test/token-inventory.test.ts',
  'test/token-lifecycle-rotation.test.ts',
  'test/token-lifecycle.test.ts',
  'test/token-page.test.ts',
  'test/token-policy.test.ts',
  'test/token-rotation-self.test.ts',
  'test/token-secrecy.test.ts',
  'test/token-usage.test.ts',
  'test/xsrf.test.ts',
];

/** What changes with the proxy: servers behind it, restarts that adopt it, its activity, OAuth through it. */
const THROUGH_CHP = [
  'test/servers.test.ts',
  'test/servers-slow.test.ts',
  'test/restart.test.ts',
  'test/api-proxy.test.ts',
  'test/oauth.test.ts',
  'test/oauth-singleuser.test.ts',
  'test/proxy-activity.test.ts',
  'test/culler-service.test.ts',
];

const sorted = (pattern) => globSync(pattern, { cwd: ROOT }).sort();

function tier(name) {
  const listed = name === 'chp' ? THROUGH_CHP : IN_PROCESS;
  const missing = listed.filter((f) => !existsSync(`${ROOT}${f}`));
  if (missing.length) throw new Error(`scripts/test-tiers.mjs lists files that do not exist: ${missing.join(', ')}`);
  if (name === 'unit') return [...sorted('src/**/*.test.ts'), ...IN_PROCESS];
  if (name === 'e2e') return sorted('test/**/*.test.ts').filter((f) => !IN_PROCESS.includes(f));
  if (name === 'chp') return THROUGH_CHP;
  throw new Error(`unknown test tier ${JSON.stringify(name)} (unit, e2e or chp)`);
}

/**
 * The unit tier in two processes at once (2 cores), each running its files in one process
 * (--test-isolation=none): loading the hub's modules once per process instead of once per file halves
 * the tier's CPU time. The in-process API tests share no state but the database each makes for itself.
 * The first process reports as it goes, the second when the first is done; then one closing count.
 */
async function runUnitLanes(files) {
  const lanes = [[], []];
  // In-process files by weight, each to the lighter lane: a file's size stands for its requests, except the
  // fuzz test's, whose thousands of generated requests take about as long as 70 kB of written API tests.
  const weight = (f) => (f === 'test/fuzz.test.ts' ? 70_000 : statSync(`${ROOT}${f}`).size);
  const inProcess = files.filter((f) => IN_PROCESS.includes(f)).sort((a, b) => weight(b) - weight(a));
  const load = [0, 0];
  for (const f of inProcess) {
    const i = load[0] <= load[1] ? 0 : 1;
    lanes[i].push(f);
    load[i] += weight(f);
  }
  const others = files.filter((f) => !IN_PROCESS.includes(f));
  for (const [i, f] of others.entries()) lanes[i % 2].push(f);
  const args = (lane) => ['--test', '--test-isolation=none', '--test-reporter=spec', ...lane];
  const run = (lane, live) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, args(lane), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (live) process.stdout.write(d);
      });
      child.on('close', (code) => resolve({ code: code ?? 1, out }));
    });
  const [first, second] = await Promise.all([run(lanes[0], true), run(lanes[1], false)]);
  process.stdout.write(second.out);
  return [first, second];
}

const args = process.argv.slice(2);
if (args[0] === '--list') {
  process.stdout.write(`${tier(args[1]).join('\n')}\n`);
  process.exit(0);
}
const [name, ...rest] = args;
const files = tier(name);
if (name === 'unit' && !rest.includes('--watch')) {
  const lanes = await runUnitLanes(files);
  // The spec reporter closes each process's report with its counts ("ℹ pass 12"): one line sums them.
  const count = (what) =>
    lanes.reduce((n, l) => n + Number(new RegExp(`^ℹ ${what} (\\d+)$`, 'm').exec(l.out)?.[1] ?? 0), 0);
  process.stdout.write(`unit: ${count('pass')} passed, ${count('fail')} failed\n`);
  process.exit(lanes.some((l) => l.code !== 0) ? 1 : 0);
}
// Two files at a time: this is a 2-core machine, and the real-process files start several processes each.
const runner = rest.includes('--watch') ? ['--watch'] : ['--test-concurrency=2'];
const r = spawnSync(process.execPath, ['--test', ...runner, ...files], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
