import { HubError } from './hub-error.ts';
import { notFound } from './request.ts';

/** 400 for a name the username rules refuse (JupyterHub's message; several names in one message for a bulk create). */
export const invalidUsername = (...names: string[]) =>
  new HubError(400, `Invalid username${names.length > 1 ? 's' : ''}: ${names.join(', ')}`, 'invalid_username');

export const noSuchUser = (name: string) => notFound(`No such user: ${name}`);

export const cannotDeleteSelf = () => new HubError(400, 'Cannot delete yourself!', 'cannot_delete_self');

/** JupyterHub's 400 for deleting a user whose server is still stopping. */
export const serverStopPending = (name: string) =>
  new HubError(400, `${name}'s server is in the process of stopping, please wait.`, 'server_stop_pending');

/** A login or sign-up of a name in `authenticator.blocked_users`. */
export const userBlocked = (name: string) => new HubError(403, `User ${name} is blocked`, 'user_blocked');

/** A login or sign-up of a name that allow_all / allowed_users / admin_users do not let in. */
export const userNotAllowed = (name: string) => new HubError(403, `User ${name} is not allowed`, 'login_not_allowed');

/** The config's post_auth_hook threw or answered nonsense: the login cannot go on (upstream: a 500). */
export const authHookFailed = (why: string) => new HubError(500, `post_auth_hook failed: ${why}`, 'auth_hook_failed');
