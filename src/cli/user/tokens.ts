import type { Command } from 'commander';
import { ApiError, connect, type ConnectFlags, type HubClient, hubUrl, UsageError } from './client.ts';
import { exitTwoOnUsage, flagsOf, printJson, printTable, run, withConnectOptions } from './output.ts';
import { loadCredentials, saveCredentials } from './store.ts';
import { ownerPath, whoAmI } from './whoami.ts';

interface CreateFlags extends ConnectFlags {
  note?: string;
  expiresIn?: string;
  scopes?: string[];
}

interface RotateFlags extends ConnectFlags {
  grace?: string;
}

function wholeSeconds(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`${flag} must be a whole number of seconds${min ? ` (at least ${min})` : ''}, not '${value}'`);
  return Number(value);
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(/[\s,]+/).filter((s) => s !== ''),
];

function tokenRow(t: any): (string | null)[] {
  return [t.id, t.note, t.expires_at ?? 'never', t.last_activity, (t.scopes ?? []).join(' ')];
}
const TOKEN_HEADERS = ['ID', 'NOTE', 'EXPIRES', 'LAST USED', 'SCOPES'];

export function registerTokens(program: Command): void {
  const tokens = exitTwoOnUsage(program.command('tokens')).description(
    'your API tokens on a hub (through its REST API, like any client; see tshub token for the admin command)',
  );

  withConnectOptions(tokens.command('list'))
    .description('list your tokens')
    .option('--all', 'include expired and revoked tokens (tshub)')
    .action(
      run('tokens list', async (_opts, cmd: Command) => {
        const flags = flagsOf<ConnectFlags & { all?: boolean }>(cmd);
        const client = await connect(flags);
        const me = await whoAmI(client);
        const query = flags.all ? '?include_inactive=1' : '';
        const { body } = await client.request('GET', `${ownerPath(me)}/tokens${query}`);
        if (flags.json) return printJson(body);
        const all = [...(body.api_tokens ?? []), ...(body.inactive_tokens ?? [])];
        printTable(TOKEN_HEADERS, all.map(tokenRow));
      }),
    );

  withConnectOptions(tokens.command('create'))
    .description('create a token and print it (alone on stdout unless --json)')
    .option('--note <text>', 'what the token is for')
    .option('--expires-in <seconds>', 'lifetime in seconds (default: the hub decides)')
    .option('--scopes <scope...>', 'scopes (comma- or space-separated; default: all of yours)', collect)
    .action(
      run('tokens create', async (_opts, cmd: Command) => {
        const flags = flagsOf<CreateFlags>(cmd);
        const expiresIn = wholeSeconds('--expires-in', flags.expiresIn, 1);
        const client = await connect(flags);
        const me = await whoAmI(client);
        const body: Record<string, unknown> = {};
        if (flags.note !== undefined) body.note = flags.note;
        if (expiresIn !== undefined) body.expires_in = expiresIn;
        if (flags.scopes) body.scopes = flags.scopes;
        const created = (await client.request('POST', `${ownerPath(me)}/tokens`, body)).body;
        if (flags.json) return printJson(created);
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`created token ${created.id}, expires ${created.expires_at ?? 'never'}\n`);
      }),
    );

  withConnectOptions(tokens.command('revoke'))
    .description('revoke tokens by id (as tokens list shows them)')
    .argument('<id...>', 'token ids')
    .action(
      run('tokens revoke', async (ids: string[], _opts, cmd: Command) => {
        const flags = flagsOf(cmd);
        const client = await connect(flags);
        const me = await whoAmI(client);
        for (const id of ids) await client.request('DELETE', `${ownerPath(me)}/tokens/${encodeURIComponent(id)}`);
        if (flags.json) return printJson({ revoked: ids });
        process.stdout.write(`revoked ${ids.join(', ')}\n`);
      }),
    );

  withConnectOptions(tokens.command('rotate'))
    .description(
      "replace a token by a new one with the same note, scopes and lifetime (tshub only); 'self' rotates the token in use and updates the stored login",
    )
    .argument('<id>', "token id, or 'self'")
    .option('--grace <seconds>', 'how long the old token keeps working (default 0)')
    .action(
      run('tokens rotate', async (id: string, _opts, cmd: Command) => {
        const flags = flagsOf<RotateFlags>(cmd);
        const grace = wholeSeconds('--grace', flags.grace, 0);
        const client = await connect(flags);
        const me = await whoAmI(client);
        let rotated: any;
        try {
          const body = grace === undefined ? {} : { grace_seconds: grace };
          rotated = (await client.request('POST', `${ownerPath(me)}/tokens/${encodeURIComponent(id)}/rotate`, body))
            .body;
        } catch (err) {
          // tshub's own 404s carry a reason (no such token); a hub without the route (JupyterHub) has none.
          if (err instanceof ApiError && err.status === 404 && err.reason === null)
            throw new ApiError(404, 'this hub does not rotate tokens (rotation is a tshub feature)', null);
          throw err;
        }
        if (id === 'self') await updateStoredLogin(client, me.name, rotated.token);
        if (flags.json) return printJson(rotated);
        process.stdout.write(`${rotated.token}\n`);
        process.stderr.write(`rotated into token ${rotated.id}, expires ${rotated.expires_at ?? 'never'}\n`);
      }),
    );
}

/** After `rotate self`, the stored login holds the new token when it held the old one. */
async function updateStoredLogin(client: HubClient, user: string, token: string): Promise<void> {
  const hub = hubUrl(client.api);
  const stored = await loadCredentials(hub).catch(() => null);
  if (stored?.token === client.token) await saveCredentials(hub, { token, user, created: new Date().toISOString() });
}
