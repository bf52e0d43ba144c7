// Kubernetes `Status` objects: how the API server reports failure, with the codes, reasons and message
// wording the real server uses, so a client's error handling meets the same shapes here.

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** Thrown anywhere in the simulator; the server answers with its `status`. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(code: number, reason: string, message: string, details?: Status['details']) {
    super(message);
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
  }
}

export const notFound = (resource: string, name: string) =>
  new ApiError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });

export const alreadyExists = (resource: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource });

export const conflict = (resource: string, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: resource },
  );

/** 422 for an object that fails validation; `kind` is the object's Kind (e.g. Pod), as the server words it. */
export function invalid(kind: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${text}`, { name, kind, causes });
}

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

/** What a watch or a continue token gets once the resourceVersion it names left the history window. */
export const expired = (message: string) => new ApiError(410, 'Expired', message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (resource: string, name: string, why: string) =>
  new ApiError(403, 'Forbidden', `${resource} "${name}" is forbidden: ${why}`, { name, kind: resource });

export const internal = (why: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${why}`);

export const methodNotAllowed = () =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const noSuchPath = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export const unsupportedMediaType = (type: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type})`,
  );

/** A cause for `invalid`. */
export const cause = (field: string, message: string, reason = 'FieldValueInvalid'): StatusCause => ({
  reason,
  message,
  field,
});
