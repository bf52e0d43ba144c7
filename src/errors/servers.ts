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

/** 429 while `active_server_limit` servers run (JupyterHub's message). */
export const activeServerLimitReached = () =>
  new HubError(429, 'Active user limit exceeded. Try again in a few minutes.', 'active_server_limit', {
    headers: { 'Retry-After': '60' },
  });
