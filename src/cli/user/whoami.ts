import type { Command } from 'commander';
import { connect, type ConnectFlags, type HubClient, hubUrl } from './client.ts';
import { exitTwoOnUsage, flagsOf, printJson, printTable, run, withConnectOptions } from './output.ts';

/** Who the token acts as: JupyterHub's `GET /hub/api/user` model (a user or a service). */
export interface Identity {
  kind?: string;
  name: string;
  admin?: boolean;
  groups?: string[];
  scopes?: string[];
  servers?: Record<string, any>;
  [key: string]: unknown;
}

export async function whoAmI(client: HubClient): Promise<Identity> {
  return (await client.request('GET', 'user')).body as Identity;
}

/** The API folder of the token's owner: its tokens and servers live under it. */
export function ownerPath(me: Identity): string {
  const folder = me.kind === 'service' ? 'services' : 'users';
  return `${folder}/${encodeURIComponent(me.name)}`;
}

export function registerWhoami(program: Command): void {
  withConnectOptions(exitTwoOnUsage(program.command('whoami')))
    .description('show who the token acts as on the hub: name, kind, admin, groups and scopes')
    .action(
      run('whoami', async (_opts: ConnectFlags, cmd: Command) => {
        const flags = flagsOf(cmd);
        const client = await connect(flags);
        const me = await whoAmI(client);
        if (flags.json) return printJson(me);
        printTable(
          ['FIELD', 'VALUE'],
          [
            ['name', me.name],
            ['kind', me.kind ?? 'user'],
            ['hub', hubUrl(client.api)],
            ['admin', me.admin ?? false],
            ['groups', (me.groups ?? []).join(', ')],
            ['scopes', (me.scopes ?? []).join(' ')],
          ],
        );
      }),
    );
}
