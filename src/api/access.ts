import type { FastifyRequest } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import type { GroupRow, ServiceRow, UserRow } from '../db/index.ts';
import { missingScope, NO_ACCESS_MESSAGE, notFound } from '../errors/index.ts';
import { checkAccess, type Resource } from '../rbac/index.ts';
import { allGroupNamesByUser, findGroup } from '../repo/groups.ts';
import { findService } from '../repo/services.ts';
import { findUser } from '../repo/users.ts';

function base(scope: string): string {
  const i = scope.indexOf('!');
  return i === -1 ? scope : scope.slice(0, i);
}

/** True if any of `anyOf` is held in some form (with or without a filter). */
export function holdsAny(p: Principal, anyOf: string[]): boolean {
  for (const s of p.scopes) if (anyOf.includes(base(s))) return true;
  return false;
}

function usesGroupFilter(p: Principal, anyOf: string[]): boolean {
  for (const s of p.scopes) if (s.includes('!group=') && anyOf.includes(base(s))) return true;
  return false;
}

/**
 * Upstream's order: no credential → 403; scope absent → 403 naming it; scope held but not for this
 * resource, or the resource missing → 404 (the two are indistinguishable on purpose).
 */
function decide(p: Principal, anyOf: string[], resource: Resource | null): void {
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  if (resource === null) throw notFound(NO_ACCESS_MESSAGE);
  if (checkAccess(p.scopes, anyOf, resource) !== 'ok') throw notFound(NO_ACCESS_MESSAGE);
}

export function need(ctx: HubContext, req: FastifyRequest, anyOf: string[]): Principal {
  const p = requirePrincipal(ctx, req);
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  return p;
}

/**
 * A route's preParsing hook: refuses a request without credentials, or without any form of `anyOf`,
 * before its body is read. Like upstream, such a request gets its 403 whatever its body holds (never a
 * 400 about the body), and no unauthenticated client makes the hub buffer a large body. The handler
 * still makes the full check, with the resource's filters.
 */
export function scopesFirst(ctx: HubContext, anyOf: string[]) {
  return async (req: FastifyRequest, _reply: unknown, payload: unknown): Promise<unknown> => {
    need(ctx, req, anyOf);
    return payload;
  };
}

export async function needUser(
  ctx: HubContext,
  req: FastifyRequest,
  anyOf: string[],
  name: string,
): Promise<{ p: Principal; user: UserRow }> {
  const p = requirePrincipal(ctx, req);
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  const user = await findUser(ctx.k, name);
  const groups = user && usesGroupFilter(p, anyOf) ? await allGroupNamesByUser(ctx.k, name) : [];
  decide(p, anyOf, user ? { kind: 'user', name, groups } : null);
  return { p, user: user! };
}

/**
 * For creating a user that may not exist yet: a `!user=<name>` filter covers the name whether or not
 * the user exists (upstream checks the path's name), a `!group=` filter only an existing member.
 */
export async function needUserName(
  ctx: HubContext,
  req: FastifyRequest,
  anyOf: string[],
  name: string,
): Promise<{ p: Principal; user: UserRow | undefined }> {
  const p = requirePrincipal(ctx, req);
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  const user = await findUser(ctx.k, name);
  const groups = user && usesGroupFilter(p, anyOf) ? await allGroupNamesByUser(ctx.k, name) : [];
  if (checkAccess(p.scopes, anyOf, { kind: 'user', name, groups }) !== 'ok') throw notFound(NO_ACCESS_MESSAGE);
  return { p, user };
}

/** For creating a group: a `!group=<name>` filter covers the name before the group exists. */
export function needGroupName(ctx: HubContext, req: FastifyRequest, anyOf: string[], name: string): Principal {
  const p = requirePrincipal(ctx, req);
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  if (checkAccess(p.scopes, anyOf, { kind: 'group', name }) !== 'ok') throw notFound(NO_ACCESS_MESSAGE);
  return p;
}

export async function needServer(
  ctx: HubContext,
  req: FastifyRequest,
  anyOf: string[],
  userName: string,
  server: string,
): Promise<{ p: Principal; user: UserRow }> {
  const p = requirePrincipal(ctx, req);
  if (!holdsAny(p, anyOf)) throw missingScope(anyOf);
  const user = await findUser(ctx.k, userName);
  const groups = user && usesGroupFilter(p, anyOf) ? await allGroupNamesByUser(ctx.k, userName) : [];
  decide(p, anyOf, user ? { kind: 'server', user: userName, server, groups } : null);
  return { p, user: user! };
}

export async function needGroup(
  ctx: HubContext,
  req: FastifyRequest,
  anyOf: string[],
  name: string,
): Promise<{ p: Principal; group: GroupRow }> {
  const p = requirePrincipal(ctx, req);
  const group = await findGroup(ctx.k, name);
  decide(p, anyOf, group ? { kind: 'group', name } : null);
  return { p, group: group! };
}

export async function needService(
  ctx: HubContext,
  req: FastifyRequest,
  anyOf: string[],
  name: string,
): Promise<{ p: Principal; service: ServiceRow }> {
  const p = requirePrincipal(ctx, req);
  const service = await findService(ctx.k, name);
  decide(p, anyOf, service ? { kind: 'service', name } : null);
  return { p, service: service! };
}
