import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideServer, decideUser, serversOf, type CullPolicy } from './decide.ts';
import { formatDuration } from './format.ts';

// A fixed clock: every timestamp below is relative to it.
const NOW = Date.parse('2026-03-04T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const policy: CullPolicy = {
  timeout: 600,
  maxAge: 0,
  cullDefaultServers: true,
  cullNamedServers: true,
  cullAdminUsers: true,
};
const ready = (lastActivity: string | null, started: string | null = ago(3600)) => ({
  name: '',
  ready: true,
  pending: null,
  url: '/user/a/',
  started,
  last_activity: lastActivity,
});

describe('decideServer', () => {
  it('culls at exactly the timeout, not a second before', () => {
    assert.equal(decideServer('', ready(ago(600)), policy, NOW).action, 'cull');
    assert.equal(decideServer('', ready(ago(599)), policy, NOW).action, 'keep');
  });

  it('says who idled how long in its reason', () => {
    const d = decideServer('', ready(ago(7322)), policy, NOW);
    assert.equal(d.action, 'cull');
    assert.match(d.why, /inactive for 02:02:02, timeout 00:10:00/);
    assert.ok(d.action === 'cull' && d.inactiveMs === 7322_000 && d.ageMs === 3600_000);
  });

  it('falls back to started when there is no last_activity', () => {
    assert.equal(decideServer('', ready(null, ago(601)), policy, NOW).action, 'cull');
    assert.equal(decideServer('', ready(null, ago(10)), policy, NOW).action, 'keep');
  });

  it('keeps a server with neither timestamp unless something else applies', () => {
    const d = decideServer('', ready(null, null), { ...policy, maxAge: 1 }, NOW);
    assert.equal(d.action, 'keep');
    assert.match(d.why, /inactive for unknown/);
  });

  it('never touches pending or not-ready servers, however old', () => {
    assert.deepEqual(decideServer('', { ...ready(ago(99999)), pending: 'spawn' }, policy, NOW), {
      action: 'skip',
      why: 'pending spawn',
    });
    assert.equal(
      decideServer('', { ...ready(ago(99999)), ready: false }, { ...policy, maxAge: 1 }, NOW).action,
      'skip',
    );
  });

  it('takes a URL as readiness when the hub does not send `ready` (before 0.9)', () => {
    assert.equal(decideServer('', { url: '/user/a/', last_activity: ago(700) }, policy, NOW).action, 'cull');
    assert.equal(decideServer('', { url: null, last_activity: ago(700) }, policy, NOW).action, 'skip');
  });

  it('max age culls an active server once it has run long enough', () => {
    const p = { ...policy, maxAge: 3600 };
    const d = decideServer('', ready(ago(1), ago(3600)), p, NOW);
    assert.equal(d.action, 'cull');
    assert.match(d.why, /age 01:00:00 reached max age 01:00:00; inactive for 00:00:01/);
    assert.equal(decideServer('', ready(ago(1), ago(3599)), p, NOW).action, 'keep');
    assert.equal(decideServer('', ready(ago(1), ago(999999)), policy, NOW).action, 'keep', 'max age 0 is off');
  });

  it('named and default servers are culled for inactivity only when their kind is enabled', () => {
    const idle = ready(ago(1000));
    const noNamed = { ...policy, cullNamedServers: false };
    const noDefault = { ...policy, cullDefaultServers: false };
    assert.equal(decideServer('lab', idle, noNamed, NOW).action, 'keep');
    assert.match(decideServer('lab', idle, noNamed, NOW).why, /named servers are not culled for inactivity/);
    assert.equal(decideServer('', idle, noNamed, NOW).action, 'cull');
    assert.equal(decideServer('', idle, noDefault, NOW).action, 'keep');
    assert.equal(decideServer('lab', idle, noDefault, NOW).action, 'cull');
    // ...but max age still applies to them.
    assert.equal(decideServer('lab', ready(ago(1000), ago(5000)), { ...noNamed, maxAge: 4000 }, NOW).action, 'cull');
  });

  it('reads naive timestamps as UTC and accepts microseconds', () => {
    assert.equal(decideServer('', ready('2026-03-04T11:50:00.000001'), policy, NOW).action, 'cull');
    assert.equal(decideServer('', ready('2026-03-04T11:50:01'), policy, NOW).action, 'keep');
    assert.equal(decideServer('', ready('2026-03-04T12:51:00+01:00'), policy, NOW).action, 'keep');
    assert.equal(decideServer('', ready('2026-03-04T12:50:00+01:00'), policy, NOW).action, 'cull');
  });

  it('activity in the future (clock skew) is not idleness', () => {
    assert.equal(decideServer('', ready(ago(-120)), { ...policy, timeout: 0 }, NOW).action, 'keep');
  });
});

describe('decideUser', () => {
  const user = (o: Record<string, unknown>) => ({
    name: 'u',
    admin: false,
    created: ago(86400),
    last_activity: null,
    ...o,
  });

  it('culls a user idle since last_activity, or since created when there is none', () => {
    assert.equal(decideUser(user({ last_activity: ago(600) }), policy, NOW).action, 'cull');
    assert.equal(decideUser(user({ last_activity: ago(60) }), policy, NOW).action, 'keep');
    assert.equal(decideUser(user({ created: ago(601) }), policy, NOW).action, 'cull');
    assert.equal(decideUser(user({ created: ago(60) }), policy, NOW).action, 'keep');
  });

  it('spares idle admins only when told to', () => {
    const admin = user({ admin: true, last_activity: ago(1000) });
    assert.equal(decideUser(admin, policy, NOW).action, 'cull');
    const d = decideUser(admin, { ...policy, cullAdminUsers: false }, NOW);
    assert.equal(d.action, 'keep');
    assert.match(d.why, /admin users are not culled/);
    assert.equal(
      decideUser(user({ last_activity: ago(1000) }), { ...policy, cullAdminUsers: false }, NOW).action,
      'cull',
    );
  });

  it('spares a user of unknown admin status when admins are spared', () => {
    const { admin: _, ...unknown } = user({ last_activity: ago(1000) });
    assert.equal(decideUser(unknown, { ...policy, cullAdminUsers: false }, NOW).action, 'keep');
    assert.equal(decideUser(unknown, policy, NOW).action, 'cull');
  });

  it('max age deletes users created long enough ago, admins included (as upstream)', () => {
    const p = { ...policy, maxAge: 3600, cullAdminUsers: false };
    assert.equal(decideUser(user({ admin: true, last_activity: ago(1), created: ago(3600) }), p, NOW).action, 'cull');
    assert.equal(decideUser(user({ last_activity: ago(1), created: ago(3599) }), p, NOW).action, 'keep');
  });
});

describe('serversOf', () => {
  it('uses `servers` when the hub sends it', () => {
    assert.deepEqual(
      serversOf({ name: 'u', servers: { '': { ready: true }, lab: { ready: true } } }).map(([n]) => n),
      ['', 'lab'],
    );
    assert.deepEqual(serversOf({ name: 'u', servers: {} }), []);
  });

  it('builds the default server from the user model on hubs without `servers`', () => {
    assert.deepEqual(serversOf({ name: 'u', server: '/user/u/', pending: null, last_activity: ago(5) }), [
      ['', { last_activity: ago(5), pending: null, url: '/user/u/' }],
    ]);
    assert.deepEqual(serversOf({ name: 'u', server: null }), []);
  });
});

describe('formatDuration', () => {
  it('prints HH:MM:SS, hours past a day included', () => {
    assert.equal(formatDuration(0), '00:00:00');
    assert.equal(formatDuration(59_999), '00:00:59');
    assert.equal(formatDuration(90_061_000), '25:01:01');
    assert.equal(formatDuration(null), 'unknown');
    assert.equal(formatDuration(-61_000), '-00:01:01');
  });
});
