import type { Reason } from './reasons.ts';

/**
 * The one error type the hub throws for a refused request. The error handler turns it into JupyterHub's
 * `{"status", "message"}` body plus tshub's `reason` (and any `extra` fields) under /hub/api/, and an
 * HTML page elsewhere. Build one with a named factory from this folder, not by hand, so that the same
 * refusal reads the same wherever it is raised.
 */
export class HubError extends Error {
  readonly status: number;
  readonly reason: Reason;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    reason: Reason,
    opts: { extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HubError';
    this.status = status;
    this.reason = reason;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }
}
