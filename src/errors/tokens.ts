import type { AuthFailure } from './auth.ts';
import { HubError } from './hub-error.ts';
import { invalidRequest, notFound } from './request.ts';

/** 404 for a token id that is not one of the user's (or not active where only active ones count), as upstream. */
export const noSuchToken = (tokenId: string, user: string) => notFound(`No such token ${tokenId} for user ${user}`);

/** JupyterHub's 403 for a token request on a user the requester may not make tokens for (or that does not exist). */
export const tokenCreateForbidden = (kind: 'user' | 'service', name: string) =>
  new HubError(
    403,
    `${kind === 'user' ? 'User' : 'Service'} ${name} not found or no permissions to generate tokens`,
    'insufficient_scope',
  );

export const tokenLimitReached = (active: number, max: number) =>
  invalidRequest(
    `Token limit reached: you already have ${active} active tokens (the maximum is ${max}). Revoke one before creating another.`,
    'token_limit_reached',
  );

export const tokenLifetimeExceeded = (expiresIn: number, max: number) =>
  invalidRequest(`token expires_in: ${expiresIn} must not exceed ${max}`, 'token_lifetime_exceeded');

const NOT_ROTATABLE: Record<string, string> = {
  server: 'belongs to a server and is replaced by the hub itself',
  oauth: 'was issued to an OAuth client, which gets a new one by logging in again',
  config: 'is given in the config file; change it there',
};

/** Why a token of this kind is not rotated on request: who replaces it instead. */
export const tokenNotRotatable = (tokenId: string, kind: string) =>
  invalidRequest(`Token ${tokenId} ${NOT_ROTATABLE[kind] ?? 'cannot be rotated'}`, 'token_not_rotatable');

/** A revoked, expired or rotated-out token: the reason is the one a request presenting it gets. */
export const tokenNotUsable = (tokenId: string, reason: AuthFailure) =>
  invalidRequest(`Token ${tokenId} cannot be rotated: it is ${reason.replace('token_', '')}`, reason);

export const tokenAlreadyRotated = (tokenId: string, replacedBy: number) =>
  invalidRequest(
    `Token ${tokenId} was already rotated (replaced by a${replacedBy}); rotate its replacement instead`,
    'token_rotated',
  );

export const tokenRotatedMeanwhile = (tokenId: string) =>
  invalidRequest(`Token ${tokenId} was revoked or rotated meanwhile`, 'token_rotated');
