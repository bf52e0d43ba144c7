import type { Command } from 'commander';

interface LoginFlags {
  url: string;
  scopes?: string[];
  json?: boolean;
}

interface DeviceAnswer {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

const CLIENT_ID = 'tshub-cli';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 3.5: what slow_down adds to the interval. */
const SLOW_DOWN_STEP = 5;
const REQUEST_TIMEOUT_MS = 30_000;

class LoginError extends Error {}

async function postForm(url: URL, form: Record<string, string>, agent: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': agent },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new LoginError(`${url.href} answered ${res.status} without JSON: is this a tshub hub?`);
  }
}

/**
 * The device flow (RFC 8628) as a command-line client: ask for codes, show them, then poll the token
 * endpoint at the interval the hub asks for (longer after each slow_down) until the user decides or the
 * codes expire.
 */
async function deviceLogin(
  hub: string,
  scopes: string[],
  agent: string,
  show: (d: DeviceAnswer) => void,
): Promise<{ token: string; scope: string }> {
  const start = await postForm(
    new URL('hub/api/oauth2/device_authorization', hub),
    { client_id: CLIENT_ID, ...(scopes.length ? { scope: scopes.join(' ') } : {}) },
    agent,
  );
  if (start.status !== 200)
    throw new LoginError(
      `the hub refused the login: ${start.body.error_description ?? start.body.message ?? start.status}`,
    );
  const d = start.body as DeviceAnswer;
  show(d);
  let interval = d.interval ?? 5;
  const deadline = Date.now() + d.expires_in * 1000;
  const tokenUrl = new URL('hub/api/oauth2/token', hub);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval * 1000));
    const r = await postForm(
      tokenUrl,
      { grant_type: DEVICE_GRANT, device_code: d.device_code, client_id: CLIENT_ID },
      agent,
    );
    if (r.status === 200 && typeof r.body.access_token === 'string')
      return { token: r.body.access_token, scope: String(r.body.scope ?? '') };
    if (r.body.error === 'authorization_pending') continue;
    if (r.body.error === 'slow_down') {
      interval += SLOW_DOWN_STEP;
      continue;
    }
    if (r.body.error === 'access_denied')
      throw new LoginError(`the login was denied: ${r.body.error_description ?? ''}`);
    if (r.body.error === 'expired_token') break;
    throw new LoginError(`the hub answered ${r.body.error ?? r.status}: ${r.body.error_description ?? ''}`);
  }
  throw new LoginError('the code expired before it was approved: run tshub login again');
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'sign in to a hub from this machine: approve a code in the browser, and the token is stored in ' +
        '$XDG_CONFIG_HOME/tshub/credentials.json (default ~/.config/tshub/credentials.json, mode 0600)',
    )
    .requiredOption('--url <url>', "the hub's URL, e.g. https://hub.example.org/ (with its base path, if any)")
    .option('--scopes <scope...>', "scopes for the token (default: the hub's default for new tokens)")
    .option('--json', 'print the result as JSON (the code and URL go to stderr)')
    .action(async (flags: LoginFlags) => {
      const [{ credentialsPath, hubKey, saveCredentials }, { TSHUB_VERSION }] = await Promise.all([
        import('./user/store.ts'),
        import('../version.ts'),
      ]);
      const out = (text: string) => process.stdout.write(text);
      const say = flags.json ? (text: string) => process.stderr.write(text) : out;
      try {
        const hub = hubKey(flags.url);
        const scopes = (flags.scopes ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
        const agent = `tshub-cli/${TSHUB_VERSION} (${process.platform}; node ${process.versions.node})`;
        const { token, scope } = await deviceLogin(hub, scopes, agent, (d) => {
          say(`To sign in, open ${d.verification_uri} and enter the code ${d.user_code}\n`);
          if (d.verification_uri_complete) say(`(or open ${d.verification_uri_complete})\n`);
          say('Waiting for approval...\n');
        });
        const me = await fetch(new URL('hub/api/user', hub), {
          headers: { authorization: `token ${token}`, 'user-agent': agent },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (!me.ok) throw new LoginError(`the new token does not work: /hub/api/user answered ${me.status}`);
        const user = String(((await me.json()) as { name?: unknown }).name);
        const created = new Date().toISOString();
        await saveCredentials(hub, { token, user, created });
        const path = credentialsPath();
        if (flags.json)
          out(`${JSON.stringify({ url: hub, user, scopes: scope.split(' ').filter(Boolean), path, created })}\n`);
        else out(`Signed in to ${hub} as ${user}; token stored in ${path}\n`);
      } catch (err) {
        if (!(err instanceof LoginError || err instanceof TypeError || (err as Error).name === 'TimeoutError'))
          throw err;
        const reason =
          err instanceof TypeError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
        process.stderr.write(`tshub login: ${reason}\n`);
        process.exit(1);
      }
    });
}
