import type { Command } from 'commander';
import { ApiError, connect, type ConnectFlags, type HubClient, UsageError } from './client.ts';
import { exitTwoOnUsage, flagsOf, printJson, printTable, run, withConnectOptions } from './output.ts';
import { type Identity, whoAmI } from './whoami.ts';

interface WaitFlags extends ConnectFlags {
  wait: boolean;
  timeout: string;
}

/** The API path of one of the caller's servers ('' is the default server). */
function serverPath(me: Identity, name: string): string {
  const user = `users/${encodeURIComponent(me.name)}`;
  return name === '' ? `${user}/server` : `${user}/servers/${encodeURIComponent(name)}`;
}

async function ownUser(client: HubClient): Promise<Identity> {
  const me = await whoAmI(client);
  if (me.kind === 'service') throw new ApiError(0, `${me.name} is a service: services have no servers`, null);
  return me;
}

function timeoutMs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--timeout must be a whole number of seconds, not '${value}'`);
  return Number(value) * 1000;
}

function waitOptions(cmd: Command): Command {
  return cmd
    .argument('[name]', 'server name (default: your default server)')
    .option('--no-wait', 'return once the hub has accepted the request')
    .option('--timeout <seconds>', 'how long to wait', '300');
}

const label = (name: string) => (name === '' ? 'default server' : `server '${name}'`);

export function registerServers(program: Command): void {
  const servers = exitTwoOnUsage(program.command('servers')).description(
    'your single-user servers on a hub (through its REST API)',
  );

  withConnectOptions(servers.command('list'))
    .description('list your servers')
    .action(
      run('servers list', async (_opts, cmd: Command) => {
        const flags = flagsOf(cmd);
        const me = await ownUser(await connect(flags));
        const list = Object.values(me.servers ?? {});
        if (flags.json) return printJson(list);
        printTable(
          ['NAME', 'STATE', 'URL', 'STARTED', 'LAST ACTIVITY'],
          list.map((s) => [
            s.name === '' ? '(default)' : s.name,
            s.pending ? `${s.pending} pending` : s.ready ? 'ready' : 'not ready',
            s.url,
            s.started,
            s.last_activity,
          ]),
        );
      }),
    );

  waitOptions(withConnectOptions(servers.command('start')))
    .description('start a server and follow its progress until it is ready')
    .action(
      run('servers start', async (given: string | undefined, _opts, cmd: Command) => {
        const flags = flagsOf<WaitFlags>(cmd);
        const name = given ?? '';
        const ms = timeoutMs(flags.timeout);
        const client = await connect(flags);
        const me = await ownUser(client);
        const path = serverPath(me, name);
        const { status } = await client.request('POST', path);
        const accepted = { name, status: status === 201 ? 'ready' : 'pending' };
        if (!flags.wait) {
          if (flags.json) return printJson(accepted);
          process.stdout.write(`${label(name)} ${status === 201 ? 'is ready' : 'is starting'}\n`);
          return;
        }
        const events: any[] = [];
        await client.events(
          `${path}/progress`,
          (e) => {
            events.push(e);
            if (!flags.json) process.stdout.write(`[${String(e.progress ?? '?').padStart(3)}%] ${e.message ?? ''}\n`);
          },
          ms,
        );
        const last = events.at(-1);
        if (flags.json) printJson({ name, ready: last?.ready === true, url: last?.url ?? null, events });
        else if (last?.ready) process.stdout.write(`ready: ${new URL(last.url, client.api).href}\n`);
        if (!last?.ready)
          throw new ApiError(
            0,
            last?.failed ? `${label(name)} failed to start: ${last.message ?? ''}` : 'progress ended before ready',
            null,
          );
      }),
    );

  waitOptions(withConnectOptions(servers.command('stop')))
    .description('stop a server and wait until it has stopped')
    .action(
      run('servers stop', async (given: string | undefined, _opts, cmd: Command) => {
        const flags = flagsOf<WaitFlags>(cmd);
        const name = given ?? '';
        const ms = timeoutMs(flags.timeout);
        const client = await connect(flags);
        const me = await ownUser(client);
        const { status } = await client.request('DELETE', serverPath(me, name));
        let stopped = status === 204;
        if (!stopped && flags.wait) stopped = await untilStopped(client, name, ms);
        if (flags.json) return printJson({ name, status: stopped ? 'stopped' : 'stopping' });
        process.stdout.write(`${label(name)} ${stopped ? 'stopped' : 'is stopping'}\n`);
        if (!stopped && flags.wait)
          throw new ApiError(0, `${label(name)} had not stopped after ${flags.timeout}s`, null);
      }),
    );
}

/** Polls the caller's model until the server is gone (JupyterHub has no stop progress stream). */
async function untilStopped(client: HubClient, name: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const me = await whoAmI(client);
    const s = me.servers?.[name];
    if (!s || (!s.pending && !s.ready)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
