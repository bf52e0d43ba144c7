// Problems found in a configuration, and how they are shown without leaking secrets.

export type PathSegment = string | number;

export interface Problem {
  /** The real key path, used to find which source (file, variable, flags) set the value. */
  path: PathSegment[];
  /** The key path as shown to people: keys that are secrets themselves appear as <redacted>. */
  display: string;
  kind: 'unknown-key' | 'invalid';
  /** For 'invalid': what is wrong, e.g. `expected an integer >= 0, got -1`. */
  text: string;
}

/** Thrown for any problem with the configuration; the message lists every problem, one per line. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    const head =
      problems.length === 1
        ? 'The tshub configuration has a problem:'
        : `The tshub configuration has ${problems.length} problems:`;
    super(`${head}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const REDACTED = '<redacted>';

// Values under keys named like these are never printed: an error message may end up in a log.
const SECRET_KEY = /(token|tokens|secret|secrets|password|passwd|key|credential|credentials)$/i;

export function isSecretKey(key: PathSegment): boolean {
  return typeof key === 'string' && SECRET_KEY.test(key);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends one segment to a displayed path: `a.b`, `a[0]`, `a["custom:x"]`. */
export function joinPath(display: string, segment: PathSegment, redacted = false): string {
  if (redacted) return `${display}[${REDACTED}]`;
  if (typeof segment === 'number') return `${display}[${segment}]`;
  if (IDENT.test(segment)) return display === '' ? segment : `${display}.${segment}`;
  return `${display}[${JSON.stringify(segment)}]`;
}

export function displayPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((d, s) => joinPath(d, s), '');
}

function maskUrlPassword(s: string): string {
  if (!s.includes('@') || !URL.canParse(s)) return s;
  const u = new URL(s);
  if (u.password === '') return s;
  // Replace in the original text rather than re-serialising, so the rest reads as written.
  return s.replace(`:${u.password}@`, `:${REDACTED}@`);
}

/** A value as shown in an error message. */
export function showValue(value: unknown, secret: boolean): string {
  if (secret && value !== null && value !== undefined) return REDACTED;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const s = maskUrlPassword(value);
    return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
