/**
 * The ingredients of the fuzz test's hostile requests (test/fuzz-requests.ts puts them together): odd
 * methods, odd path segments, junk query strings, wrong-typed and broken bodies, content types and
 * abused headers, as fast-check arbitraries.
 */
import fc from 'fast-check';

export const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
// Methods llhttp knows but no route declares, and a few it refuses itself.
export const ODD_METHODS = [
  'TRACE',
  'PROPFIND',
  'SEARCH',
  'QUERY',
  'PURGE',
  'LOCK',
  'MKCOL',
  'REPORT',
  'M-SEARCH',
  'SUBSCRIBE',
  'BREW',
  'FOO',
];

const TRICK_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e%2e%2f',
  '..%2F..%2Fetc%2Fpasswd',
  '%2F',
  'a%2Fb',
  '%2f%2f',
  '%5C',
  '\\..\\',
  '%',
  '%zz',
  '%G0',
  '%C0%AF',
  '%C0%AE%C0%AE',
  '%ff',
  '%FE%FF',
  '%ED%A0%80',
  '%E2%80%AE',
  '%E2%80%8F',
  '%EF%BB%BF',
  '%u002e',
  '%252e%252e',
  '%25',
  '~',
  ';',
  'a;b=c',
  '%3B',
  '*',
  '%2A',
  '?',
  '#',
  '%23',
  '%3F',
  '+',
  '%20',
  'a%09b',
  'CON',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%F0%9F%92%A9',
  '%C3%A9',
  'Ä',
  'ÿ',
  'ü%20',
];
// fc.stringMatching and fc.string's unicode units cost milliseconds a value (they build reverse maps of
// the whole range); plain code points are enough here.
const unicode = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 1, max: 0x7f }), fc.integer({ min: 0x80, max: 0x10ffff })), { maxLength })
    .map((cps) => String.fromCodePoint(...cps.filter((c) => c < 0xd800 || c > 0xdfff)));
const NAME_CHAR = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789._-');
/** Segments that only ever mean "nothing there". */
export const NUL_SEGMENTS = ['%00', 'a%00b', '%00..'];

export function oddSegment(existing: Set<string>): fc.Arbitrary<string> {
  return fc
    .oneof(
      { arbitrary: fc.constantFrom(...TRICK_SEGMENTS), weight: 4 },
      { arbitrary: unicode(12).map(encodeURIComponent), weight: 4 },
      {
        arbitrary: fc
          .tuple(fc.constantFrom(...'abcxyz'), fc.string({ unit: NAME_CHAR, maxLength: 20 }))
          .map(([a, b]) => a + b),
        weight: 2,
      },
      { arbitrary: fc.constant(''), weight: 1 },
      { arbitrary: fc.integer({ min: 900, max: 5000 }).map((n) => 'x'.repeat(n)), weight: 1 },
    )
    .filter((s) => !existing.has(safeDecode(s).normalize('NFKC').toLowerCase()));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const QUERY_KEYS = [
  'limit',
  'offset',
  'state',
  'sort',
  'name_filter',
  'include_stopped_servers',
  'include_inactive',
  '_xsrf',
  'next',
  'client_id',
  'redirect_uri',
  'response_type',
  'code',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'token',
  'expires_in',
  'note',
  'name',
  'a[]',
  'limit[x]',
  '__proto__',
  'constructor[prototype]',
  '',
];
const queryValue = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '1e308',
    '9'.repeat(40),
    'NaN',
    'Infinity',
    'true',
    'false',
    '',
    'null',
    '[]',
    '{}',
    'active',
    'ready',
    '-id',
    '--name',
    'servers',
  ),
  unicode(20).map(encodeURIComponent),
  fc.integer({ min: 500, max: 6000 }).map((n) => 'q'.repeat(n)),
  fc.constantFrom(
    '%',
    '%zz',
    '%ff',
    '%C0%AF',
    'http%3A%2F%2Fevil.example%2F',
    '%2F%2Fevil.example',
    'javascript:alert(1)',
    '%0d%0aSet-Cookie:%20x=1',
  ),
);
export const queryString = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue, fc.boolean()), { maxLength: 6 })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v, bare]) => (bare && !v ? k : `${k}=${v}`)).join('&')}` : ''));

const BODY_KEYS = [
  'usernames',
  'admin',
  'name',
  'groups',
  'users',
  'properties',
  'expires_in',
  'note',
  'scopes',
  'roles',
  'auth',
  'remove',
  'last_activity',
  'servers',
  'user_options',
  'display_name',
  'proxy',
  'api_url',
  'auth_token',
  'url',
  'api_token',
  'oauth_redirect_uri',
  'oauth_client_id',
  'info',
  'display',
  'command',
  'auth_state',
  '__proto__',
  'constructor',
  'grace_seconds',
];
/** JSON that parses but has wrong types, missing or extra fields: validation and handlers must refuse it. */
export const wrongJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...BODY_KEYS), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constantFrom(
    {},
    [],
    null,
    0,
    '',
    true,
    { usernames: [] },
    { users: 'x' },
    { expires_in: -1 },
    { expires_in: 1e308 },
    { scopes: ['nope'] },
    { auth: { username: 'x' } },
  ),
);
export const formBody = fc
  .dictionary(
    fc.constantFrom(
      'username',
      'password',
      '_xsrf',
      'next',
      'note',
      'client_id',
      'code',
      'grant_type',
      'redirect_uri',
      'scope',
      'code_verifier',
      'client_secret',
    ),
    fc.string({ maxLength: 30 }),
    { maxKeys: 5 },
  )
  .map((d) => new URLSearchParams(d).toString());

/** A body that no route may accept: each one fails while parsing, before any handler runs. */
export function poisonBody(maxBodySize: number): fc.Arbitrary<{ body: Buffer; kind: string }> {
  return fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => ({ body: Buffer.from(`{,${s}`), kind: 'invalid JSON' })),
    fc
      .constantFrom(
        '{',
        '[1,',
        '{"a":}',
        "{'a':1}",
        'nul',
        'NaN',
        '01',
        '{"a":1}}',
        '\uFEFF{}',
        '"\\x"',
        '[1]x',
        '{"a" 1}',
        'undefined',
      )
      .map((s) => ({ body: Buffer.from(s), kind: 'invalid JSON' })),
    fc.uint8Array({ maxLength: 30 }).map((b) => ({
      body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from(b)]),
      kind: 'invalid UTF-8',
    })),
    fc
      .integer({ min: 1001, max: 5000 })
      .map((d) => ({ body: Buffer.from('['.repeat(d) + ']'.repeat(d)), kind: 'too deep' })),
    fc
      .constantFrom('{"usernames":["a\\u0000b"]}', '{"note":"\\u0000"}', '{"\\u0000":1}')
      .map((s) => ({ body: Buffer.from(s), kind: 'NUL in JSON' })),
    fc
      .integer({ min: maxBodySize + 1, max: maxBodySize * 3 })
      .map((n) => ({ body: Buffer.alloc(n, 0x20), kind: 'too large' })),
  );
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=UTF-8',
  'application/json; charset=latin1',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'a/b/c',
  ';;;',
  '*/*',
  'application/jupyterhub-pagination+json',
  `application/json${'; x=y'.repeat(500)}`,
];

/** Header abuse that any caller may add: none of it may cause more than a 4xx. */
export function junkHeaders(unknownToken: string): fc.Arbitrary<[string, string][]> {
  const header = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.constantFrom<[string, string]>(
        ['authorization', 'token'],
        ['authorization', 'token '],
        ['authorization', 'Bearer'],
        ['authorization', 'token a b'],
        ['authorization', 'Basic YWRtaW46YWRtaW4='],
        ['authorization', 'token tshub_0000000000000000000000000000000000000'],
        ['authorization', `token ${unknownToken}`],
        ['authorization', `bearer   ${unknownToken}  `],
        ['authorization', `token ${'A'.repeat(4000)}`],
        ['authorization', 'token \u00ff\u00fe'],
        ['authorization', 'Digest username="x"'],
        ['cookie', 'jupyterhub-hub-login=garbage'],
        ['cookie', 'jupyterhub-hub-login="a.b.c"; jupyterhub-hub-login=x.1.y'],
        ['cookie', 'jupyterhub-hub-login=YWRtaW4.99999999999.AAAA'],
        ['cookie', `jupyterhub-session-id=${'0'.repeat(32)}`],
        ['cookie', '_xsrf=x; _xsrf=y; =; ;;; a'],
        ['cookie', `a=${'b'.repeat(6000)}`],
        ['cookie', '\u00ff=\u00fe'],
        ['x-xsrftoken', 'junk'],
        ['x-csrftoken', ''],
        ['sec-fetch-mode', 'cors'],
        ['sec-fetch-mode', 'navigate'],
        ['sec-fetch-mode', '\u00e9'],
        ['host', ''],
        ['host', 'evil.example'],
        ['host', '[::1'],
        ['host', 'a:99999'],
        ['host', 'h\u00f6st'],
        ['host', 'a b'],
        ['host', ':'],
        ['x-forwarded-for', 'junk'],
        ['x-forwarded-for', '1.2.3.4, , ::zz, 999.1.1.1'],
        ['x-forwarded-for', '1.1.1.1,'.repeat(500)],
        ['x-forwarded-proto', 'javascript'],
        ['x-forwarded-proto', 'https'],
        ['x-forwarded-proto', 'h t t p'],
        ['x-forwarded-proto', ''],
        ['x-forwarded-host', 'evil.example:x'],
        ['x-forwarded-host', '[::1'],
        ['x-forwarded-host', '%00'],
        ['x-forwarded-port', '-1'],
        ['forwarded', 'for="_gazonk"; proto=ftp'],
        ['x-real-ip', '::::'],
        ['origin', 'null'],
        ['origin', 'http://evil.example'],
        ['referer', '%%%'],
        ['accept', 'text/html'],
        ['accept', 'application/jupyterhub-pagination+json'],
        ['accept', '*/*;q=x'],
        ['accept-encoding', 'gzip;q=2, br, zstd, \u00e9'],
        ['x-request-id', ''],
        ['x-request-id', 'r'.repeat(3000)],
        ['range', 'bytes=9-1'],
        ['if-none-match', '*'],
        ['if-modified-since', 'yesterday'],
        ['expect', '100-continue-ish'],
        ['x-http-method-override', 'DELETE'],
        ['content-encoding', 'gzip'],
      ),
    },
    { weight: 1, arbitrary: fc.constant<[string, string]>(['x-junk', 'a'.repeat(20000)]) },
    {
      weight: 3,
      arbitrary: fc.tuple(
        fc.string({ unit: NAME_CHAR, minLength: 1, maxLength: 20 }).map((n) => `x-${n.replace(/[._]/g, '-')}`),
        fc.string({ unit: 'binary-ascii', maxLength: 50 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      ),
    },
  );
  return fc.array(header, { maxLength: 4 });
}
