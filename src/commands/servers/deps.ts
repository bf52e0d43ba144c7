import type { AuditOrigin } from '../../audit/event.ts';
import type { ServerOwner, ServerStatus, SpawnOptions } from '../../servers/manager.ts';
import type { HubMetrics } from '../../metrics/index.ts';
import type { CommandDeps } from '../deps.ts';

/** The process side of servers (the hub's ServerManager): what the server commands ask it to do. */
export interface ServerRuntime {
  probe(user: ServerOwner, server: string): Promise<ServerStatus>;
  pendingSpawns(): number;
  activeCount(): number;
  spawn(user: ServerOwner, server: string, opts: SpawnOptions): Promise<'ready' | 'pending'>;
  stop(user: ServerOwner, server: string, origin?: AuditOrigin): Promise<'stopped' | 'pending'>;
  remove(user: ServerOwner, server: string, stopPending: boolean): Promise<void>;
}

export interface ServerCommandDeps extends CommandDeps {
  servers: ServerRuntime;
  /** Where refused starts are counted (the hub's metrics; absent in tests that build deps by hand). */
  metrics?: Pick<HubMetrics, 'spawnDuration'>;
}

/** Who and which server a command is about. */
export interface ServerRef {
  user: ServerOwner;
  /** '' for the default server. */
  server: string;
}
