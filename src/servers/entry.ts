import type { AuditOrigin } from '../audit/event.ts';
import type { Spawner, SpawnRequest } from '../spawners/spawner.ts';
import { ProgressLog } from './progress.ts';

/** What the server manager keeps of one server it holds: its live spawner and the transition in flight. */
export interface Entry {
  user: { id: number; name: string };
  server: string;
  prefix: string;
  pending: 'spawn' | 'stop' | null;
  spawner: Spawner | null;
  /** What the spawner was made with (after the hooks), for post_stop_hook. */
  request: SpawnRequest | null;
  progress: ProgressLog;
  task: Promise<void> | null;
  cancelled: boolean;
  /** Who asked for the start and for the stop (the audit log's actors); unset means the hub itself. */
  startOrigin?: AuditOrigin;
  stopOrigin?: AuditOrigin;
}

export function newEntry(
  user: { id: number; name: string },
  server: string,
  prefix: string,
  pending: Entry['pending'],
): Entry {
  return {
    user: { id: user.id, name: user.name },
    server,
    prefix,
    pending,
    spawner: null,
    request: null,
    progress: new ProgressLog(),
    task: null,
    cancelled: false,
  };
}
