import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ActivityRecorder } from './auth/activity.ts';
import type { CryptKeeper, RefreshTimes } from './auth/auth-state/index.ts';
import type { AuditRecorder } from './audit/index.ts';
import type { TokenIdentifier } from './auth/identify-token.ts';
import type { LoginThrottle } from './auth/login-throttle.ts';
import type { Permissions } from './auth/permissions.ts';
import type { PrincipalCache } from './auth/principal-cache.ts';
import type { SessionSettings } from './auth/session.ts';
import type { Config } from './config/index.ts';
import type { Database, Db, DbKind } from './db/index.ts';
import type { ServerManager } from './servers/manager.ts';
import type { HubProxy } from './proxy/hub-proxy.ts';
import type { RefusalSink } from './proxy/types.ts';
import type { HubMetrics } from './metrics/registry.ts';
import type { TokenInsertBatch } from './tokens/insert-batch.ts';
import type { ServiceSupervisor } from './services/index.ts';

/** What request handlers share: built once, in one pass, by app.ts. */
export interface HubContext {
  config: Config;
  db: Db;
  k: Kysely<Database>;
  log: Logger;
  /** Directory for files the hub keeps (server logs, proxy token); relative config paths resolve here. */
  stateDir: string;
  /** Path prefix of every URL, from bind_url (e.g. '/' or '/jhub/'). */
  baseUrl: string;
  /** Token rows by digest, and principals, owners' scopes and roles: both cache in `permissions`. */
  identifier: TokenIdentifier;
  principals: PrincipalCache;
  /** The login cookies' secret and settings. */
  sessions: SessionSettings;
  /** auth_state's keys (JUPYTERHUB_CRYPT_KEY), and when each user's login was last confirmed with the provider. */
  crypt: CryptKeeper;
  authRefresh: RefreshTimes;
  /** Failed password checks per name and address (the login page and token requests with a password). */
  loginThrottle: LoginThrottle;
  activity: ActivityRecorder;
  servers: ServerManager;
  /** Managed services' processes and every service's health checks. */
  services: ServiceSupervisor;
  proxy: HubProxy;
  /** Tokens made unusable are reported here so that `tshub proxy` refuses them at once. */
  refusals: RefusalSink;
  metrics: HubMetrics;
  /** The hash-chained audit log: `audit.record({...})` queues an event and never blocks or throws. */
  audit: AuditRecorder;
  /** The JupyterHub API version tshub implements (clients compare it), and tshub's own. */
  apiVersion: string;
  version: string;
  dbKind: DbKind;
  /** Concurrent token inserts written together (SQLite); null on PostgreSQL, which groups commits itself. */
  tokenInserts: TokenInsertBatch | null;
  /**
   * Everything cached from permissions. `invalidate()` after any write that can change what an existing token or
   * session may do (revocations, role, group and admin changes, deletions). Creating users or tokens needs none:
   * nothing cached refers to them.
   */
  permissions: Permissions;
  /** Asks the process to shut down (POST /hub/api/shutdown). */
  requestShutdown(): void;
}
