import { HubError } from './hub-error.ts';
import type { Reason } from './reasons.ts';

/** 400: the request itself is wrong. `reason` narrows it where a script could act on the difference. */
export const invalidRequest = (message: string, reason: Reason = 'invalid_request') =>
  new HubError(400, message, reason);

/** 404 with JupyterHub's message for a resource that is missing or hidden by the caller's scopes. */
export const NO_ACCESS_MESSAGE = 'No access to resources or resources not found';
export const notFound = (message: string = NO_ACCESS_MESSAGE) => new HubError(404, message, 'not_found');

export const alreadyExists = (message: string) => new HubError(409, message, 'conflict');

/** A resource from the config file, which only the config file changes (as upstream: 405). */
export const notModifiable = (message: string) => new HubError(405, message, 'not_modifiable');

export const internalError = (message: string) => new HubError(500, message, 'internal_error');
