import Format from 'typebox/format';

// String formats used by the config schema. Each one is registered with TypeBox too, so that
// Value.Check on a Config agrees with our own validator (see validate.ts).

export interface StringFormat {
  check(value: string): boolean;
  /** What the value must look like, completing "expected ...". */
  hint: string;
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const u = new URL(value);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
}

const SQLITE = /^sqlite(\+[a-z0-9_]+)?:\/\/(\/.+)?$/;
const POSTGRES = /^postgres(ql)?(\+[a-z0-9_]+)?:\/\//;

function isDbUrl(value: string): boolean {
  if (SQLITE.test(value)) return true;
  if (!POSTGRES.test(value)) return false;
  return URL.canParse(value.replace(POSTGRES, 'postgresql://'));
}

export const FORMATS: Readonly<Record<string, StringFormat>> = {
  'tshub-http-url': { check: isHttpUrl, hint: 'an http:// or https:// URL' },
  'tshub-db-url': {
    check: isDbUrl,
    hint: 'a database URL: sqlite:///relative/path, sqlite:////absolute/path, sqlite:// (in memory) or postgresql://user@host:port/db',
  },
  // OAuth redirect URIs may be absolute URLs or paths on the hub's own host.
  'tshub-url-or-path': {
    check: (v) => v.startsWith('/') || isHttpUrl(v),
    hint: 'an http(s) URL or a path starting with "/"',
  },
};

for (const [name, f] of Object.entries(FORMATS)) {
  if (!Format.Has(name)) Format.Set(name, f.check);
}

export { SQLITE as SQLITE_URL, POSTGRES as POSTGRES_URL };
