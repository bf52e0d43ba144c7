import { HubError } from './hub-error.ts';

// POST /hub/api/batchspawner: a starting server tells the hub the port it listens on.

/** 403 for credentials other than a server's own API token (a person's token or login, a service's). */
export const serverTokenRequired = () =>
  new HubError(403, "Only a server's own API token may report the server's port", 'server_token_required');

/** 400 for a report the server's start is not waiting for. */
export const portNotExpected = (logName: string, why: string) =>
  new HubError(400, `${logName} does not take a reported port: ${why}`, 'port_not_expected');
