// `node bench/profile.ts whoami|list|create|bulk [--duration S]`: one load shape against a tshub started with
// --cpu-prof, then where its CPU time went (bench/profile-summary.ts) and how its memory grew.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiOk } from './http.ts';
import { load, startProbe, percentile } from './load.ts';
import { cleanupAll, rssMb, tempDir } from './proc.ts';
import { startTshub } from './start-tshub.ts';

const { values, positionals } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    top: { type: 'string', default: '30' },
    /** Extra flags for tshub's node, space-separated, e.g. --node-flags='--trace-gc --max-semi-space-size=1'. */
    'node-flags': { type: 'string', default: '' },
  },
  allowPositionals: true,
});
const shape = positionals[0] ?? 'whoami';
const duration = Number(values.duration);
const log = (msg: string) => process.stderr.write(`# ${msg}\n`);

try {
  const dir = tempDir('tshub-prof-');
  const nodeFlags = values['node-flags']!.split(/\s+/).filter((f) => f !== '');
  const hub = await startTshub({ cpuProfDir: dir, nodeFlags });
  const api = hub.apiUrl;
  const admin = (await apiOk(api, 'POST', 'users/admin/tokens', hub.configToken, {}, 201)).token as string;
  await apiOk(api, 'POST', 'users', admin, { usernames: ['bench-user', 'bench-tok'] }, 201);
  const userToken = (await apiOk(api, 'POST', 'users/bench-user/tokens', admin, {}, 201)).token as string;
  if (shape === 'list' || shape === 'bulk') {
    for (let b = 0; b < 10; b++) {
      const names = Array.from({ length: 1000 }, (_, i) => `p${b}-${i}`);
      const probe = shape === 'bulk' ? startProbe(api) : null;
      const t = performance.now();
      await apiOk(api, 'POST', 'users', admin, { usernames: names }, 201);
      const others = (await probe?.stop()) ?? [];
      log(
        `batch ${b}: ${((performance.now() - t) / 1000).toFixed(3)} s${probe ? `, others p99 ${percentile(others, 99).toFixed(0)} ms` : ''}`,
      );
    }
  }
  log(`rss before load ${rssMb(hub.pid()).toFixed(0)} MB`);
  if (shape !== 'bulk') {
    for (let round = 1; round <= 3; round++) {
      const spec =
        shape === 'whoami'
          ? { url: `${api}user`, token: userToken, connections: 20 }
          : shape === 'list'
            ? { url: `${api}users?limit=100`, token: admin, connections: 20 }
            : { url: `${api}users/bench-tok/tokens`, method: 'POST', token: admin, body: {}, connections: 10 };
      const r = await load({ ...spec, duration, warmup: 0 });
      log(
        `${shape} round ${round}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, failures ${r.failures}; rss ${rssMb(hub.pid()).toFixed(0)} MB`,
      );
    }
  }
  if (nodeFlags.length > 0) log(`last output of tshub:\n${hub.outputTail()}`);
  await hub.stop();
  const profiles = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  process.stdout.write(
    execFileSync(
      process.execPath,
      [join(import.meta.dirname, 'profile-summary.ts'), '--top', values.top!, ...profiles],
      { encoding: 'utf8' },
    ),
  );
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
