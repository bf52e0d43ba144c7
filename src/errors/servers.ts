import { HubError } from './hub-error.ts';

/** 500 for a server that could not be started; the message is shown to its user, so it says why. */
export const spawnFailed = (message: string) => new HubError(500, message, 'spawn_failed');

/** 429 while `concurrent_spawn_limit` starts are in flight (JupyterHub's message and a spread-out retry). */
export function spawnLimitReached(): HubError {
  const retry = 30 + Math.floor(Math.random() * 30);
  return new HubError(429, 'Too many users trying to log in right now. Try again in a minute.', 'spawn_limit', {
    headers: { 'Retry-After': String(retry) },
  });
}

/** 503 once `consecutive_failure_limit` starts in a row failed (JupyterHub exits there; we refuse until a restart). */
export const spawnFailureLimit = (failures: number) =>
  new HubError(
    503,
    `Too many consecutive failed spawns (${failures}); no server can start until the hub is restarted. Ask an administrator.`,
    'spawn_failure_limit',
  );

/** 429 while `active_server_limit` servers run (JupyterHub's message). */
export const activeServerLimitReached = () =>
  new HubError(429, 'Active user limit exceeded. Try again in a few minutes.', 'active_server_limit', {
    headers: { 'Retry-After': '60' },
  });

/** 400 for a start of a server that runs already (JupyterHub's message; `logName` is `user` or `user:server`). */
export const serverRunning = (logName: string) => new HubError(400, `${logName} is already running`, 'server_running');

/** 400 while a server is starting or stopping (JupyterHub's message). */
export const serverPending = (logName: string, pending: 'spawn' | 'stop') =>
  new HubError(400, `${logName} is pending ${pending}`, 'server_pending');

export const namedServersDisabled = () => new HubError(400, 'Named servers are not enabled.', 'named_servers_disabled');

/** 400 for a new named server beyond `named_server_limit_per_user` (JupyterHub's message, two spaces included). */
export const namedServerLimit = (user: string, limit: number) =>
  new HubError(
    400,
    `User ${user} already has the maximum of ${limit} named servers.  One must be deleted before a new server can be created`,
    'named_server_limit',
  );

export const invalidServerName = (name: string) =>
  new HubError(400, `Invalid server_name: '${name}'`, 'invalid_server_name');

/** 400 for a display name JupyterHub 6 refuses (empty, over 255 characters, control characters, stray spaces). */
export const invalidDisplayName = (name: string) =>
  new HubError(400, `Invalid display_name: ${JSON.stringify(name)}`, 'invalid_display_name');

/** 400 for changing a server that is running, starting or stopping (JupyterHub's message). */
export const serverActive = (logName: string) =>
  new HubError(400, `${logName} is active. Please stop it before modifying it.`, 'server_active');
