import { tokenTarget } from '../../audit/index.ts';
import type { ServiceRow, TokenRow } from '../../db/index.ts';
import { noSuchServiceToken } from '../../errors/index.ts';
import { findTokenById } from '../../repo/tokens.ts';
import { issueToken } from '../../tokens/issue.ts';
import { judge } from '../../tokens/judge.ts';
import { parseTokenId } from '../../tokens/present.ts';
import type { ServiceSupervisor } from '../../services/index.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, type TokenCommandDeps } from '../tokens/deps.ts';
import { newTokenLifetime } from '../tokens/expiry.ts';
import { revokeIds } from '../tokens/revoke-ids.ts';
import { type RotateOptions, rotateTokenRow } from '../tokens/rotate.ts';

/** What the service token commands need: the token commands' deps, and the supervisor to restart a managed service. */
export interface ServiceTokenDeps extends TokenCommandDeps {
  services: Pick<ServiceSupervisor, 'tokenRotated'>;
}

/** The service's token with this id (usable now unless `includeInactive`); 404 for any mismatch. */
export async function findServiceToken(
  deps: Pick<TokenCommandDeps, 'k'>,
  service: ServiceRow,
  tokenId: string,
  includeInactive: boolean,
): Promise<TokenRow> {
  const id = parseTokenId(tokenId);
  const row = id === null ? undefined : await findTokenById(deps.k, id);
  if (!row || row.service_id !== service.id || (!includeInactive && !judge(row).ok))
    throw noSuchServiceToken(tokenId, service.name);
  return row;
}

export interface CreateServiceTokenInput {
  service: ServiceRow;
  note: string;
  /** Unexpanded scopes, already checked against what the service holds. */
  scopes: string[];
  /** Seconds; absent = the configured default (the same policy as users' tokens). */
  expiresIn?: number | null;
}

/** Creates an API token for a service; the personal-token limit is a user's and does not apply. */
export async function createServiceToken(
  deps: TokenCommandDeps,
  caller: Caller,
  input: CreateServiceTokenInput,
): Promise<{ token: string; row: TokenRow }> {
  const { service } = input;
  const issued = await issueToken(
    deps.k,
    deps.dbKind,
    {
      owner: { kind: 'service', id: service.id },
      kind: 'api',
      note: input.note,
      scopes: input.scopes,
      expiresIn: newTokenLifetime(deps.config.tokens, input.expiresIn),
    },
    { batch: deps.tokenInserts },
  );
  const { row } = issued;
  deps.log.info({ ...loggedCaller(caller), service: service.name, token_id: `a${row.id}` }, 'service token created');
  deps.audit.record({
    ...caller.origin,
    action: 'token.create',
    target: tokenTarget(row.id, null),
    reason: `service ${service.name}; expires ${row.expires_at ?? 'never'}`,
  });
  return issued;
}

/**
 * Rotates a service's token, with the grace and retire_on_use of users' tokens. When it is the running
 * managed service's token, the service is restarted with the new one (its environment carries the token)
 * before this returns.
 */
export async function rotateServiceToken(
  deps: ServiceTokenDeps,
  caller: Caller,
  input: { service: ServiceRow; tokenId: string } & RotateOptions,
): Promise<{ token: string; row: TokenRow; restarted: boolean }> {
  const { service } = input;
  const old = await findServiceToken(deps, service, input.tokenId, true);
  const owner = { kind: 'service' as const, id: service.id, name: service.name };
  const issued = await rotateTokenRow(deps, caller, old, owner, input);
  const restarted = await deps.services.tokenRotated(service.name, old.id, issued.token, issued.row.id);
  return { ...issued, restarted };
}

/** Revokes one of a service's tokens (a config api_token too: it is stored again at the next start). */
export async function revokeServiceToken(
  deps: TokenCommandDeps,
  caller: Caller,
  input: { service: ServiceRow; tokenId: string },
): Promise<void> {
  const row = await findServiceToken(deps, input.service, input.tokenId, false);
  await revokeIds(deps, caller, null, [row.id], () => `service ${input.service.name}`);
  deps.log.info(
    { ...loggedCaller(caller), service: input.service.name, token_id: input.tokenId },
    'service token revoked',
  );
}
