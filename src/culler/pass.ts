import { decideServer, decideUser, serversOf, type CullPolicy, type ServerModel, type UserModel } from './decide.ts';
import type { HubClient } from './hub-client.ts';
import type { CullLog } from './log.ts';
import { versionAtLeast } from './version.ts';

/** JupyterHub 1.3 added GET /users?state=…, so older hubs are listed whole. */
const STATE_FILTER_MIN_VERSION = '1.3.0';

export interface PassOptions extends CullPolicy {
  cullUsers: boolean;
  removeNamedServers: boolean;
  /** Users per page asked for; 0 = the hub's default page size. */
  apiPageSize: number;
}

export interface PassSummary {
  usersListed: number;
  pages: number;
  serversChecked: number;
  serversCulled: number;
  /** Stop requests the hub answered 202 (still stopping): not culled yet, and their users are kept. */
  serversSlow: number;
  usersCulled: number;
  errors: number;
  ms: number;
}

const enc = encodeURIComponent;

/**
 * One pass of jupyterhub-idle-culler: list the users with ready servers (and, when culling users, those
 * with none), stop the servers that are idle or too old, then delete the users left idle with nothing running.
 * Listing completes before anything is stopped or deleted, so deletions cannot shift later pages.
 */
export async function cullPass(
  client: HubClient,
  opts: PassOptions,
  log: CullLog,
  clock: () => number = Date.now,
): Promise<PassSummary> {
  const started = clock();
  const sum: PassSummary = {
    usersListed: 0,
    pages: 0,
    serversChecked: 0,
    serversCulled: 0,
    serversSlow: 0,
    usersCulled: 0,
    errors: 0,
    ms: 0,
  };

  const root = await client.getJson<{ version?: unknown }>('/');
  const stateFilter = versionAtLeast(root.version, STATE_FILTER_MIN_VERSION);
  if (!stateFilter)
    log.warn(
      `hub API version ${JSON.stringify(root.version)} is before ${STATE_FILTER_MIN_VERSION}: listing every user`,
    );
  const now = clock();

  const query = (state: string | null) => {
    const q = new URLSearchParams();
    if (state) q.set('state', state);
    if (opts.apiPageSize) q.set('limit', String(opts.apiPageSize));
    const s = q.toString();
    return `/users${s ? `?${s}` : ''}`;
  };
  // state=ready leaves out users with nothing running, so culling users needs the inactive ones too.
  const lists: string[] = [];
  if (stateFilter && opts.cullUsers) lists.push(query('inactive'));
  lists.push(query(stateFilter ? 'ready' : null));

  // By name, a later listing winning: a user who started a server between the two listings is judged on the newer model.
  const users = new Map<string, UserModel>();
  for (const path of lists) {
    const { items, pages } = await client.list<UserModel>(path);
    sum.pages += pages;
    if (pages > 1) log.info(`GET ${path}: ${items.length} users in ${pages} pages`);
    for (const u of items) if (u && typeof u.name === 'string') users.set(u.name, u);
  }
  sum.usersListed = users.size;

  /** True once the server is stopped (so its user may go); false if kept, skipped, still stopping or failed. */
  const handleServer = async (user: UserModel, name: string, server: ServerModel): Promise<boolean> => {
    sum.serversChecked++;
    const label = name ? `${user.name}/${name}` : user.name;
    const d = decideServer(name, server, opts, now);
    if (d.action === 'skip') {
      log.warn(`Not culling server ${label}: ${d.why}`);
      return false;
    }
    if (d.action === 'keep') {
      log.info(`Keeping server ${label}: ${d.why}`);
      return false;
    }
    const remove = Boolean(name) && opts.removeNamedServers;
    log.info(`Culling server ${label} (${d.why})${remove ? ', removing it' : ''}`);
    const path = name ? `/users/${enc(user.name)}/servers/${enc(name)}` : `/users/${enc(user.name)}/server`;
    try {
      const res = await client.request('DELETE', path, remove ? { body: { remove: true } } : {});
      if (res.status === 202) {
        sum.serversSlow++;
        log.warn(`Server ${label} is slow to stop (202); its user is kept until it has`);
        return false;
      }
    } catch (err) {
      sum.errors++;
      log.error(`Could not stop server ${label}: ${(err as Error).message}`);
      return false;
    }
    sum.serversCulled++;
    return true;
  };

  const handleUser = async (user: UserModel): Promise<void> => {
    const servers = serversOf(user);
    const stopped = await Promise.all(servers.map(([name, s]) => handleServer(user, name, s ?? {})));
    if (!opts.cullUsers) return;
    const alive = stopped.filter((s) => !s).length;
    if (alive) {
      log.info(`Keeping user ${user.name}: ${alive} server${alive === 1 ? '' : 's'} still running`);
      return;
    }
    const d = decideUser(user, opts, now);
    if (d.action !== 'cull') {
      log.info(`Keeping user ${user.name}: ${d.why}`);
      return;
    }
    log.info(`Culling ${user.admin ? 'admin ' : ''}user ${user.name} (${d.why})`);
    try {
      await client.request('DELETE', `/users/${enc(user.name)}`);
      sum.usersCulled++;
    } catch (err) {
      sum.errors++;
      log.error(`Could not delete user ${user.name}: ${(err as Error).message}`);
    }
  };

  // Every request already waits for a slot under --concurrency, so all users can be handled at once.
  await Promise.all(
    [...users.values()].map(async (u) => {
      try {
        await handleUser(u);
      } catch (err) {
        sum.errors++;
        log.error(`Error processing ${u.name}: ${(err as Error).message}`);
      }
    }),
  );

  sum.ms = clock() - started;
  return sum;
}

export function describeSummary(s: PassSummary, opts: Pick<PassOptions, 'cullUsers'>): string {
  const parts = [
    `${s.usersListed} user${s.usersListed === 1 ? '' : 's'} listed (${s.pages} page${s.pages === 1 ? '' : 's'})`,
    `${s.serversChecked} server${s.serversChecked === 1 ? '' : 's'} checked`,
    `${s.serversCulled} culled`,
  ];
  if (s.serversSlow) parts.push(`${s.serversSlow} slow to stop`);
  if (opts.cullUsers) parts.push(`${s.usersCulled} user${s.usersCulled === 1 ? '' : 's'} culled`);
  parts.push(`${s.errors} error${s.errors === 1 ? '' : 's'}`);
  return `Cull pass done in ${(s.ms / 1000).toFixed(2)} s: ${parts.join(', ')}`;
}
