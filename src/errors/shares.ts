import { HubError } from './hub-error.ts';
import { invalidRequest } from './request.ts';

/** 404 with upstream's message for a server that a share or code names but that does not exist. */
export const noSuchServer = (owner: string, server: string) =>
  new HubError(404, `No such server: ${owner}/${server}`, 'not_found');

/** 400 for a share scope with another resource's filter (upstream's message). */
export const shareFilterRefused = (scope: string, filter: string, allowed: string) =>
  invalidRequest(`!${filter} not allowed on sharing ${scope}, only !${allowed}`, 'share_scope_invalid');

/** 400 for a share scope that is not access to the shared server (tshub shares nothing else). */
export const shareScopeRefused = (scope: string) =>
  invalidRequest(`Scope '${scope}' cannot be shared: only access:servers of the shared server`, 'share_scope_invalid');

/** 403: the sharer does not itself hold what it would grant (upstream's message). */
export const cannotGrantShare = (scope: string) =>
  new HubError(403, `Do not have permission to grant share with scope ${scope}`, 'insufficient_scope', {
    extra: { required_scopes: [scope] },
  });

/** 403: sharing with someone by name needs the right to see that name (upstream's messages). */
export const cannotNameShareTarget = (kind: 'user' | 'group') =>
  new HubError(
    403,
    kind === 'user'
      ? "Need scope 'read:users:name' to share with users by name"
      : "Need scope 'read:groups:name' to share with groups by name",
    'insufficient_scope',
    { extra: { required_scopes: [`read:${kind}s:name`] } },
  );

export const shareTargetMissing = (kind: 'user' | 'group', name: string) => invalidRequest(`No such ${kind}: ${name}`);

export const shareTargetAmbiguous = () => invalidRequest('Expected exactly one of `user` or `group`, not both.');
export const shareTargetAbsent = () => invalidRequest('Specify exactly one of `user` or `group`');

export const noSuchShare = (kind: 'user' | 'group', name: string, owner: string, server: string) =>
  new HubError(404, `No such share for ${kind} ${name} on ${owner}/${server}`, 'not_found');

/** A share code that is unknown, expired or revoked: one answer, so nobody learns which. */
export const shareCodeInvalid = (message = 'No matching code found') =>
  new HubError(404, message, 'share_code_invalid');

/** 405: `/shares/{user}` and `/share-codes/{user}` without a server only list (upstream's answer). */
export const sharesListOnly = () => new HubError(405, 'Method Not Allowed', 'invalid_request');
