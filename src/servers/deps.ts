import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditOrigin, AuditSink } from '../audit/event.ts';
import type { Config, SpawnerConfig } from '../config/index.ts';
import type { Database, DbKind } from '../db/index.ts';
import type { HubMetrics } from '../metrics/index.ts';
import type { SpawnerFactory } from '../spawners/spawner.ts';
import type { TokenInsertBatch } from '../tokens/insert-batch.ts';

/** The part of the proxy the manager needs. */
export interface RouteTable {
  addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void>;
  deleteRoute(routespec: string): Promise<void>;
}

/** Everything the manager uses, built by the composition root. */
export interface ServerManagerDeps {
  k: Kysely<Database>;
  dbKind: DbKind;
  config: Config;
  log: Logger;
  audit: AuditSink;
  metrics: Pick<
    HubMetrics,
    'spawnDuration' | 'stopDuration' | 'proxyAddDuration' | 'proxyDeleteDuration' | 'serverPollDuration'
  >;
  /** Invalidated when a server stops: its token, cached with its owner's, is revoked. */
  permissions: { invalidate(): void };
  baseUrl: string;
  stateDir: string;
  routes: RouteTable;
  spawners: SpawnerFactory;
  /** The hub's token insert batch (SQLite): servers started together commit their tokens together. */
  tokenInserts: TokenInsertBatch | null;
}

/** Whose server: the manager needs no more of the user than this. */
export interface ServerOwner {
  id: number;
  name: string;
}

/** What a server is doing, as this process knows it. */
export type ServerStatus = 'spawn' | 'stop' | 'running' | 'stopped';

/** How a start is asked for: what ServerManager.spawn takes, and what the server commands pass it. */
export interface SpawnOptions {
  userOptions: Record<string, unknown> | null;
  displayName?: string | null;
  origin?: AuditOrigin;
  /** The spawner config with the chosen profile's overrides (src/spawners/profiles); else `spawner`. */
  spawnerConfig?: SpawnerConfig;
  /** The user's decrypted auth_state, for auth_state_hook (null without enable_auth_state). */
  authState?: Record<string, unknown> | null;
}
