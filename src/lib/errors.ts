/** Why a credential was refused; sent in the `reason` field so scripts can tell cases apart. */
export type AuthFailure =
  | 'credentials_missing'
  | 'token_unknown'
  | 'token_malformed'
  | 'token_expired'
  | 'token_revoked'
  | 'token_rotated';

/**
 * The one error type handlers throw. The error handler turns it into JupyterHub's
 * `{"status", "message"}` body (plus tshub's added fields) under /hub/api/, and an HTML page elsewhere.
 */
export class HubError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    opts: { reason?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HubError';
    this.status = status;
    this.reason = opts.reason;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }
}

export const badRequest = (message: string, reason?: string) => new HubError(400, message, { reason });
export const notFound = (message: string) => new HubError(404, message);
export const conflict = (message: string) => new HubError(409, message);

export const NO_ACCESS_MESSAGE = 'No access to resources or resources not found';

export function missingScope(anyOf: string[]): HubError {
  return new HubError(403, `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]`, {
    reason: 'insufficient_scope',
    extra: { required_scopes: anyOf },
  });
}

export function credentialsRefused(reason: AuthFailure): HubError {
  return new HubError(403, 'Missing or invalid credentials.', { reason });
}
