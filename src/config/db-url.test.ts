import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseDbUrl } from './index.ts';

const base = '/srv/hub';

describe('parseDbUrl', () => {
  it('resolves relative sqlite paths against baseDir', () => {
    assert.deepEqual(parseDbUrl('sqlite:///tshub.sqlite', base), { kind: 'sqlite', path: '/srv/hub/tshub.sqlite' });
    assert.deepEqual(parseDbUrl('sqlite:///data/db.sqlite', base), { kind: 'sqlite', path: '/srv/hub/data/db.sqlite' });
  });

  it('keeps absolute sqlite paths', () => {
    assert.deepEqual(parseDbUrl('sqlite:////var/lib/tshub/db.sqlite', base), {
      kind: 'sqlite',
      path: '/var/lib/tshub/db.sqlite',
    });
  });

  it('knows both in-memory forms', () => {
    assert.deepEqual(parseDbUrl('sqlite://', base), { kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDbUrl('sqlite:///:memory:', base), { kind: 'sqlite', path: ':memory:' });
  });

  it('accepts SQLAlchemy driver suffixes', () => {
    assert.deepEqual(parseDbUrl('sqlite+pysqlite:///x.sqlite', base), { kind: 'sqlite', path: '/srv/hub/x.sqlite' });
    assert.deepEqual(parseDbUrl('postgresql+psycopg2://hub:pw@db:5432/hub', base), {
      kind: 'postgres',
      connectionString: 'postgresql://hub:pw@db:5432/hub',
    });
  });

  it('passes postgres URLs through as postgresql://', () => {
    assert.deepEqual(parseDbUrl('postgresql://hub@db:5432/hub?sslmode=require', base), {
      kind: 'postgres',
      connectionString: 'postgresql://hub@db:5432/hub?sslmode=require',
    });
    assert.deepEqual(parseDbUrl('postgres://hub@db/hub', base), {
      kind: 'postgres',
      connectionString: 'postgresql://hub@db/hub',
    });
  });

  it('rejects other forms without printing a password', () => {
    for (const bad of ['sqlite:///', 'sqlite:/x', 'mysql://u:topsecret@h/db', 'tshub.sqlite', '']) {
      assert.throws(
        () => parseDbUrl(bad, base),
        (err: unknown) =>
          err instanceof ConfigError && err.message.includes('db_url') && !err.message.includes('topsecret'),
        bad,
      );
    }
  });
});
