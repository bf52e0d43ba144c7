import { createHash } from 'node:crypto';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';

// Kubernetes names from user and server names, as KubeSpawner 7 makes them, so a hub moved from
// KubeSpawner finds the same pods and claims: the "safe" scheme keeps a name that is already a valid
// DNS label and otherwise strips it and adds a hash; the older "escape" scheme escapes byte by byte.

const HASH_LENGTH = 8;
/** KubeSpawner's budget for each slug, so that joined fields still fit a 63-character label. */
const SLUG_MAX = 48;

const startsLowerAlpha = (s: string): boolean => /^[a-z]/.test(s);

/** A DNS-1123 and RFC 1035 label: the strictest rule, valid for every object name and label value. */
export function isValidObjectName(s: string): boolean {
  return s.length >= 1 && s.length <= 63 && /^[a-z][a-z0-9-]*$/.test(s) && /[a-z0-9]$/.test(s);
}

/** A label value: empty, or up to 63 of [A-Za-z0-9._-] starting and ending alphanumeric. */
export function isValidLabel(s: string): boolean {
  if (s === '') return true;
  return s.length <= 63 && /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i.test(s);
}

function hashOf(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, HASH_LENGTH);
}

/** Lowercase alphanumerics and single hyphens, starting with a letter, at most `max` long, never empty. */
function safeSubstring(name: string, max: number): string {
  let safe = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  safe = safe.replace(/^-+/, '').slice(0, max).replace(/-+$/, '');
  if (safe !== '' && !startsLowerAlpha(safe)) safe = `x-${safe.slice(0, max - 2)}`;
  return safe === '' ? 'x' : safe;
}

function stripAndHash(name: string, max: number): string {
  const room = max - (HASH_LENGTH + 3);
  if (room < 1) throw new Error(`Cannot make safe names shorter than ${HASH_LENGTH + 4}`);
  // '---' before the hash: it cannot be confused with the '--' that joins a user and a server name.
  return `${safeSubstring(name, room)}---${hashOf(name)}`;
}

/** The name itself when it is valid (and has no '--', which hashed names use), else a stripped name and a hash. */
export function safeSlug(name: string, valid = isValidObjectName, max: number | null = null): string {
  if (!name.includes('--') && valid(name) && (max === null || name.length <= max)) return name;
  return stripAndHash(name, max ?? 32);
}

/** Several names joined with '--' and one hash of them all (a 0xFF byte between names, which UTF-8 never holds). */
export function multiSlug(names: readonly string[], max = SLUG_MAX): string {
  const parts = names.flatMap((n, i) => (i === 0 ? [Buffer.from(n)] : [Buffer.from([0xff]), Buffer.from(n)]));
  const hash = hashOf(Buffer.concat(parts));
  const each = Math.floor((max - (HASH_LENGTH + 1)) / names.length) - 2;
  if (each < 2) throw new Error(`Not enough characters for ${names.length} names: ${max}`);
  return `${names.map((n) => safeSubstring(n, each)).join('--')}---${hash}`;
}

/** The older scheme: every byte outside [a-z0-9] becomes -XX (hex), then the whole is lowercased. */
export function escapeSlug(name: string): string {
  let out = '';
  for (const ch of name) {
    if (/^[a-z0-9]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `-${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.toLowerCase();
}

export interface NameInput {
  userId: number;
  username: string;
  servername: string;
  /** The hub's namespace, before user namespaces. */
  hubNamespace: string;
}

/** The fields the name templates may use, KubeSpawner's names. */
export function templateFields(cfg: Pick<KubernetesConfig, 'slug_scheme'>, n: NameInput): Record<string, string> {
  const safeUser = safeSlug(n.username, isValidObjectName, SLUG_MAX);
  const safeServer = n.servername ? safeSlug(n.servername, isValidObjectName, SLUG_MAX) : '';
  let safeUserServer: string;
  if (safeUser.length + safeServer.length + 2 > SLUG_MAX) safeUserServer = multiSlug([n.username, n.servername]);
  else safeUserServer = n.servername ? `${safeUser}--${safeServer}` : safeUser;
  const escUser = escapeSlug(n.username);
  const escServer = escapeSlug(n.servername);
  const escUserServer = escServer ? `${escUser}--${escServer}` : escUser;
  const safe = cfg.slug_scheme === 'safe';
  return {
    userid: String(n.userId),
    unescaped_username: n.username,
    unescaped_servername: n.servername,
    hubnamespace: n.hubNamespace === 'default' ? 'user' : n.hubNamespace,
    username: safe ? safeUser : escUser,
    servername: safe ? safeServer : escServer,
    user_server: safe ? safeUserServer : escUserServer,
    safe_username: safeUser,
    safe_servername: safeServer,
    safe_user_server: safeUserServer,
    escaped_username: escUser,
    escaped_servername: escServer,
    escaped_user_server: `${escUser}--${escServer}`,
  };
}

/**
 * `{field}` replaced from `fields` (other braces stay as written; names made from templates are checked
 * afterwards). A trailing '-' left by an empty server name is dropped, unless the template ends with one.
 */
export function expandTemplate(template: string, fields: Record<string, string>): string {
  const out = template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => fields[key] ?? whole);
  return template.endsWith('-') ? out : out.replace(/-+$/, '');
}

/** Strings anywhere inside `x` (lists, mappings) expanded; other values kept. */
export function expandAll<T>(x: T, fields: Record<string, string>): T {
  if (typeof x === 'string') return expandTemplate(x, fields) as T;
  if (Array.isArray(x)) return x.map((v) => expandAll(v, fields)) as T;
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, expandAll(v, fields)])) as T;
  return x;
}

/** The label values KubeSpawner gives a user and a server name (a valid label kept, else hashed). */
export function labelSlug(name: string): string {
  return safeSlug(name, isValidLabel);
}
