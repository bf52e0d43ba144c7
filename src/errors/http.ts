import { HubError } from './hub-error.ts';

/** 413 for a body over `max_body_size`. */
export const bodyTooLarge = () => new HubError(413, 'Request body too large', 'body_too_large');

/** A 4xx the HTTP layer raised itself (a bad URL, an unsupported media type): the request is malformed. */
export const malformedRequest = (status: number, message: string) => new HubError(status, message, 'invalid_request');

/** 409 for a write that lost a race on a unique key: what a later request would be told. */
export const concurrentConflict = () =>
  new HubError(409, 'Conflict: it already exists (created by a concurrent request)', 'conflict');
