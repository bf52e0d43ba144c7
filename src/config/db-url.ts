import { isAbsolute, resolve } from 'node:path';
import { ConfigError, showValue } from './errors.ts';
import { POSTGRES_URL, SQLITE_URL } from './formats.ts';

export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string };

/**
 * Turns JupyterHub's (SQLAlchemy's) db_url into what the db module opens. Relative sqlite paths
 * resolve against `baseDir` (the config file's directory, or the cwd without one), so a hub
 * started from elsewhere still finds its database.
 */
export function parseDbUrl(url: string, baseDir: string): DbTarget {
  const sqlite = SQLITE_URL.exec(url);
  if (sqlite !== null) {
    // SQLAlchemy: sqlite:// is in memory; after "sqlite:///" comes a relative path, or "/" and an absolute one
    const rest = sqlite[2];
    if (rest === undefined || rest === '/:memory:') return { kind: 'sqlite', path: ':memory:' };
    const p = rest.slice(1);
    return { kind: 'sqlite', path: isAbsolute(p) ? p : resolve(baseDir, p) };
  }
  if (POSTGRES_URL.test(url)) {
    // node-postgres knows neither SQLAlchemy's "+driver" suffix nor needs it
    const connectionString = url.replace(POSTGRES_URL, 'postgresql://');
    if (URL.canParse(connectionString)) return { kind: 'postgres', connectionString };
  }
  throw new ConfigError([
    `db_url: expected sqlite:///relative/path, sqlite:////absolute/path, sqlite:// (in memory) or postgresql://user@host:port/db, got ${showValue(url, false)}`,
  ]);
}
