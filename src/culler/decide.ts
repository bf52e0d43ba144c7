import { parseTimestamp } from '../lib/time.ts';
import { formatDuration as fmt } from './format.ts';

/** The Server model fields the culler reads (JupyterHub's, any version since 0.8). */
export interface ServerModel {
  name?: string;
  pending?: string | null;
  ready?: boolean;
  url?: string | null;
  started?: string | null;
  last_activity?: string | null;
}

/** The User model fields the culler reads; `admin` and `created` are only there with admin:users (or read:users). */
export interface UserModel {
  name: string;
  admin?: boolean;
  created?: string | null;
  last_activity?: string | null;
  server?: string | null;
  pending?: string | null;
  servers?: Record<string, ServerModel>;
}

export interface CullPolicy {
  /** Seconds of inactivity after which a server (or user) is culled. */
  timeout: number;
  /** Seconds since start (servers) or creation (users) after which they are culled even if active; 0 = off. */
  maxAge: number;
  cullDefaultServers: boolean;
  cullNamedServers: boolean;
  cullAdminUsers: boolean;
}

export type Decision =
  /** Not looked at (pending or not ready): says nothing about activity. */
  | { action: 'skip'; why: string }
  | { action: 'keep' | 'cull'; why: string; inactiveMs: number | null; ageMs: number | null };

function since(iso: string | null | undefined, now: number): number | null {
  if (!iso) return null;
  const d = parseTimestamp(iso);
  return d ? now - d.getTime() : null;
}

/**
 * Whether to cull one server, as jupyterhub-idle-culler decides: never while pending or not ready;
 * idle since last_activity (started when there is none) for at least the timeout, if servers of its kind
 * are culled for inactivity; or, with a max age, started at least that long ago whatever its activity.
 */
export function decideServer(serverName: string, server: ServerModel, policy: CullPolicy, now: number): Decision {
  if (server.pending) return { action: 'skip', why: `pending ${server.pending}` };
  // Hubs before 0.9 had no `ready`: a URL meant ready.
  if (!(server.ready ?? Boolean(server.url))) return { action: 'skip', why: 'not ready and not pending' };
  const ageMs = since(server.started, now);
  const inactiveMs = since(server.last_activity, now) ?? ageMs;
  const timeoutMs = policy.timeout * 1000;
  const kindCulled = serverName ? policy.cullNamedServers : policy.cullDefaultServers;
  const idle = inactiveMs !== null && inactiveMs >= timeoutMs;
  if (idle && kindCulled) {
    return { action: 'cull', why: `inactive for ${fmt(inactiveMs)}, timeout ${fmt(timeoutMs)}`, inactiveMs, ageMs };
  }
  const maxAgeMs = policy.maxAge * 1000;
  if (policy.maxAge && ageMs !== null && ageMs >= maxAgeMs) {
    return {
      action: 'cull',
      why: `age ${fmt(ageMs)} reached max age ${fmt(maxAgeMs)}; inactive for ${fmt(inactiveMs)}`,
      inactiveMs,
      ageMs,
    };
  }
  const why = idle
    ? `inactive for ${fmt(inactiveMs)}, but ${serverName ? 'named' : 'default'} servers are not culled for inactivity`
    : `inactive for ${fmt(inactiveMs)}, timeout ${fmt(timeoutMs)}`;
  return {
    action: 'keep',
    why: why + (policy.maxAge ? `; age ${fmt(ageMs)}, max age ${fmt(maxAgeMs)}` : ''),
    inactiveMs,
    ageMs,
  };
}

/**
 * Whether to delete a user whose servers are all stopped: idle since last_activity (created when there
 * is none) for at least the timeout, admins only when allowed; or, with a max age, created at least that
 * long ago. As upstream, max age applies to admins too, whatever --cull-admin-users says.
 */
export function decideUser(user: UserModel, policy: CullPolicy, now: number): Decision {
  const ageMs = since(user.created, now);
  const inactiveMs = since(user.last_activity, now) ?? ageMs;
  const timeoutMs = policy.timeout * 1000;
  const idle = inactiveMs !== null && inactiveMs >= timeoutMs;
  // Without `admin` in the model (a token lacking admin:users) an admin cannot be told apart: spare everyone.
  const protectedAdmin = !policy.cullAdminUsers && user.admin !== false;
  if (idle && !protectedAdmin) {
    return { action: 'cull', why: `inactive for ${fmt(inactiveMs)}, timeout ${fmt(timeoutMs)}`, inactiveMs, ageMs };
  }
  const maxAgeMs = policy.maxAge * 1000;
  if (policy.maxAge && ageMs !== null && ageMs >= maxAgeMs) {
    return {
      action: 'cull',
      why: `created ${fmt(ageMs)} ago, max age ${fmt(maxAgeMs)}; inactive for ${fmt(inactiveMs)}`,
      inactiveMs,
      ageMs,
    };
  }
  const why = idle
    ? `inactive for ${fmt(inactiveMs)}, but ${user.admin === undefined ? 'admin status unknown and ' : ''}admin users are not culled`
    : `inactive for ${fmt(inactiveMs)}, timeout ${fmt(timeoutMs)}`;
  return { action: 'keep', why, inactiveMs, ageMs };
}

/** The servers of a user model; hubs before 0.9 (no `servers` without named servers) describe only the default one. */
export function serversOf(user: UserModel): [string, ServerModel][] {
  if (user.servers && typeof user.servers === 'object') return Object.entries(user.servers);
  if (!user.server) return [];
  return [['', { last_activity: user.last_activity ?? null, pending: user.pending ?? null, url: user.server }]];
}
