/**
 * fast-check arbitraries for hostile requests to the hub (used by test/fuzz.test.ts): odd path
 * segments, junk query strings, broken and wrong-typed bodies, abused headers, odd methods, and four
 * kinds of caller. Every request that carries a real credential is made one that must be refused, so a
 * run can check that nothing in the database changed.
 */
import fc from 'fast-check';
import {
  CONTENT_TYPES,
  formBody,
  junkHeaders,
  NUL_SEGMENTS,
  ODD_METHODS,
  oddSegment,
  poisonBody,
  queryString,
  STANDARD_METHODS,
  wrongJson,
} from './fuzz-parts.ts';

/** A route as the router knows it: `:param` segments and an optional trailing `*`. */
export interface RouteTemplate {
  methods: string[];
  url: string;
}

export type Credential = 'none' | 'user' | 'admin' | 'cookie';

export interface FuzzRequest {
  method: string;
  /** Raw request target, sent byte for byte (not normalised, not re-encoded). */
  path: string;
  headers: [string, string][];
  body?: Buffer;
  credential: Credential;
  /** What guarantees a refusal, if anything (for the report when it is not refused). */
  poison: string | null;
  route: string;
}

export interface FuzzWorld {
  routes: RouteTemplate[];
  /** Names that exist in the database: a request naming one must be poisoned. */
  existingNames: string[];
  maxBodySize: number;
  /** A token that is well formed, with a valid checksum, but unknown to the hub. */
  unknownToken: string;
}

/** Routes that change data on a GET (for a caller who may act): they never get an unpoisoned credential. */
const MUTATING_GETS = [/^\/hub\/spawn/, /^\/hub\/logout/, /^\/hub\/api\/oauth2\//, /^\/(?:hub\/)?user\//];
/** Routes that create what their path names, so odd names are no refusal for an admin. */
const CREATE_BY_PATH = new Set([
  'POST /hub/api/users/:name',
  'POST /hub/api/groups/:name',
  'POST /hub/api/services/:name',
]);

interface Parts {
  route: RouteTemplate;
  method: string;
  params: string[];
  tail: string;
  query: string;
  body:
    | { kind: 'none' }
    | { kind: 'json'; value: unknown }
    | { kind: 'raw'; body: Buffer; what: string }
    | { kind: 'form'; text: string };
  contentType: string | null;
  headers: [string, string][];
  credential: Credential;
  useExistingNames: boolean;
  existingPick: number;
  poisonBody: { body: Buffer; kind: string };
  poisonKind: 'body' | 'url';
  wantPoison: boolean;
  nulSegment: string;
}

/** Whether the caller could, with this exact request, act (and so change data) instead of being refused. */
function mayAct(parts: Parts, paramsAreOdd: boolean): boolean {
  const { credential, method, route } = parts;
  if (credential === 'none') return false;
  const key = `${method} ${route.url}`;
  const hasParams = route.url.includes(':');
  if (credential === 'admin') {
    // Only odd names in the path of an API route that does not create them: nothing there to act on.
    const harmless =
      hasParams && paramsAreOdd && !CREATE_BY_PATH.has(key) && route.methods.includes(method) && method !== 'OPTIONS';
    return !harmless || MUTATING_GETS.some((re) => re.test(route.url));
  }
  if (hasParams && paramsAreOdd) return false;
  const readOnly = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  return !readOnly || MUTATING_GETS.some((re) => re.test(route.url));
}

function build(world: FuzzWorld, p: Parts): FuzzRequest {
  // An empty segment is no name at all (`/groups/` is the list: trailing slashes are ignored), and a
  // raw `?` or `#` ends the path there.
  const paramsAreOdd = !p.useExistingNames && p.params.every((s) => s !== '' && !/[?#]/.test(s));
  const params = p.useExistingNames
    ? p.params.map((_, i) => world.existingNames[(p.existingPick + i) % world.existingNames.length]!)
    : p.params;
  let i = 0;
  let path = p.route.url.replace(/:[a-z_]+/g, () => params[i++] ?? '').replace(/\*$/, p.tail);
  let query = p.query;
  const headers: [string, string][] = [...p.headers];
  let body: Buffer | undefined;
  let contentType = p.contentType;
  if (p.body.kind === 'json') body = Buffer.from(JSON.stringify(p.body.value) ?? 'null');
  else if (p.body.kind === 'raw') body = p.body.body;
  else if (p.body.kind === 'form') body = Buffer.from(p.body.text);

  let poison: string | null =
    p.body.kind === 'raw' && !isForm(contentType) && !BODILESS.has(p.method) ? p.body.what : null;
  // An existing name lets even an anonymous caller reach real data (e.g. a token request with `auth`).
  const needed = mayAct(p, paramsAreOdd) || p.useExistingNames || p.wantPoison;
  if (needed && poison === null) {
    // GET and HEAD bodies are never read, nor is a CORS preflight's, so those get theirs in the URL.
    if (p.poisonKind === 'url' || BODILESS.has(p.method)) {
      query += `${query ? '&' : '?'}x=${p.nulSegment}`;
      poison = 'NUL in URL';
    } else {
      body = p.poisonBody.body;
      if (p.poisonBody.kind !== 'too large' && isForm(contentType)) contentType = 'application/json';
      poison = p.poisonBody.kind;
    }
  }
  if (contentType !== null) headers.unshift(['content-type', contentType]);
  if (p.credential === 'user' || p.credential === 'admin')
    headers.unshift(['authorization', `token <${p.credential}>`]);
  if (p.credential === 'cookie') {
    headers.unshift(['cookie', '<user-cookie>'], ['sec-fetch-mode', 'cors'], ['x-xsrftoken', 'not-the-token']);
  }
  path = path.startsWith('/') ? path : `/${path}`;
  return {
    method: p.method,
    path: path + query,
    headers,
    body,
    credential: p.credential,
    poison,
    route: `${p.route.methods.join('|')} ${p.route.url}`,
  };
}

const BODILESS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isForm(ct: string | null): boolean {
  return (ct ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

export function fuzzRequest(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const existing = new Set(world.existingNames);
  const segment = oddSegment(existing);
  return fc.constantFrom(...world.routes).chain((route) => {
    const nParams = (route.url.match(/:[a-z_]+/g) ?? []).length;
    return fc
      .record({
        route: fc.constant(route),
        method: fc.oneof(
          { arbitrary: fc.constantFrom(...route.methods), weight: 6 },
          { arbitrary: fc.constantFrom(...STANDARD_METHODS), weight: 2 },
          { arbitrary: fc.constantFrom(...ODD_METHODS), weight: 1 },
        ),
        params: fc.array(segment, { minLength: nParams, maxLength: nParams }),
        tail: fc.array(segment, { maxLength: 4 }).map((s) => s.join('/')),
        query: queryString,
        body: fc.oneof(
          { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
          { arbitrary: wrongJson.map((value) => ({ kind: 'json' as const, value })), weight: 4 },
          {
            arbitrary: poisonBody(world.maxBodySize).map((b) => ({ kind: 'raw' as const, body: b.body, what: b.kind })),
            weight: 2,
          },
          { arbitrary: formBody.map((text) => ({ kind: 'form' as const, text })), weight: 1 },
        ),
        contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: null, freq: 3 }),
        headers: junkHeaders(world.unknownToken),
        credential: fc.constantFrom<Credential>('none', 'user', 'admin', 'cookie'),
        useExistingNames: fc.boolean().map((b) => b && nParams > 0),
        existingPick: fc.nat({ max: 100 }),
        poisonBody: poisonBody(world.maxBodySize),
        poisonKind: fc.constantFrom<'body' | 'url'>('body', 'body', 'url'),
        wantPoison: fc.boolean(),
        nulSegment: fc.constantFrom(...NUL_SEGMENTS),
      })
      .map((parts) => build(world, parts as Parts));
  });
}

/** Whether a request, as built, must be refused (4xx) whoever sends it. */
export function mustBeRefused(r: FuzzRequest): boolean {
  return r.poison !== null || r.credential === 'admin';
}
