/**
 * A hub killed while a managed service runs (API.md §5): the next hub stops what the killed one left running,
 * then starts the service anew, and a clean stop leaves nothing. The services themselves: test/services.test.ts.
 */
import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../src/lib/process.ts';
import { spawnHub, writeHubConfig, type RunningHub } from './process.ts';
import { waitFor } from './wait-for.ts';

describe('a hub killed while a managed service runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-services-kill-'));
  let hub: RunningHub | null = null;
  const seen = new Set<number>();
  let dropDb = async () => {};
  const sleeperPids = () =>
    existsSync(join(dir, 'pids'))
      ? readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').filter(Boolean).map(Number)
      : [];

  after(async () => {
    try {
      await hub?.stop();
    } finally {
      for (const pid of seen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      const proxyPid = existsSync(join(dir, 'tshub-proxy.pid'))
        ? Number(readFileSync(join(dir, 'tshub-proxy.pid'), 'utf8'))
        : 0;
      if (proxyPid > 1 && isAlive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await dropDb();
    }
  });

  test('the next hub stops what it left running, then starts the service anew; a clean stop leaves nothing', async () => {
    const service = {
      name: 'sleeper',
      command: ['/bin/sh', '-c', 'echo $$ >> "$OUT_DIR/pids"; exec sleep 1000'],
      environment: { OUT_DIR: dir },
    };
    const { cfg, pub, db } = await writeHubConfig(dir, [`services: ${JSON.stringify([service])}`]);
    dropDb = db.drop;
    hub = await spawnHub(['--config', cfg], `${pub}hub/api/`);
    // The service may write its pid before the hub has recorded the run: wait for both.
    const recordFile = join(dir, 'tshub-services.pids.json');
    const [first] = await waitFor(
      'the first run',
      () => sleeperPids().length === 1 && existsSync(recordFile) && sleeperPids(),
    );
    seen.add(first!);
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { launcher_dir: string };
    assert.ok(existsSync(join(record.launcher_dir, 'tshub')));
    hub.proc.kill('SIGKILL');
    await hub.stop();
    assert.ok(isAlive(first!), 'a killed hub could not stop its service');

    hub = await spawnHub(['--config', cfg], `${pub}hub/api/`);
    const [, second] = await waitFor('the second run', () => sleeperPids().length === 2 && sleeperPids());
    seen.add(second!);
    assert.equal(isAlive(first!), false, 'the leftover was stopped');
    // The hub's log is written asynchronously: wait for the line rather than expecting it already out.
    await waitFor('the log line about the leftover', () =>
      /left running by a previous hub process/.test(hub!.output()),
    );
    assert.equal(existsSync(record.launcher_dir), false, "the killed hub's launcher directory is removed");

    await hub.stop();
    hub = null;
    assert.equal(isAlive(second!), false, 'a clean stop stops the service');
    assert.equal(existsSync(join(dir, 'tshub-services.pids.json')), false);
  });
});
