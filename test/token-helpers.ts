// Helpers the token tests share (test/api-tokens*.test.ts, test/token-lifecycle*.test.ts): paths, user ids,
// hub-issued tokens, refusals and a database handle that records its queries.
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import type { TestHub } from './harness.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { ActivityRecorder } from '../src/auth/activity.ts';
import { TokenIdentifier } from '../src/auth/identify-token.ts';
import { PrincipalCache } from '../src/auth/principal-cache.ts';

export function tokensPath(user: string, rest = ''): string {
  return `hub/api/users/${encodeURIComponent(user)}/tokens${rest}`;
}

export async function userId(h: TestHub, name: string): Promise<number> {
  const row = await h.hub.ctx.k.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}

/** A token the hub issues for itself (server or OAuth), inserted the way the hub would. */
export async function hubIssued(
  h: TestHub,
  user: string,
  kind: 'server' | 'oauth',
  clientId = 'jupyterhub',
): Promise<{ token: string; id: number }> {
  const { token, row } = await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
    owner: { kind: 'user', id: await userId(h, user) },
    kind,
    note: kind === 'server' ? `Server at /user/${user}/` : 'OAuth token',
    scopes: ['inherit'],
    expiresIn: null,
    clientId,
  });
  return { token, id: row.id };
}

export async function addOAuthClient(h: TestHub, identifier: string, description: string): Promise<void> {
  await h.hub.ctx.k
    .insertInto('oauth_clients')
    .values({
      identifier,
      description,
      secret_hash: null,
      redirect_uri: `http://127.0.0.1/${identifier}/oauth_callback`,
      allowed_scopes: '[]',
      created: new Date().toISOString(),
    })
    .execute();
}

export async function whoami(h: TestHub, token: string) {
  return h.request('GET', 'hub/api/user', { token });
}

export async function assertRefused(h: TestHub, token: string, reason: string): Promise<void> {
  const r = await whoami(h, token);
  assert.equal(r.status, 403, `${reason}: ${r.text}`);
  assert.deepEqual(r.json, { status: 403, message: 'Missing or invalid credentials.', reason });
}

export async function serverToken(h: TestHub, user: string): Promise<string> {
  const { token } = await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
    owner: { kind: 'user', id: await userId(h, user) },
    kind: 'server',
    note: `Server at /user/${user}/`,
    scopes: ['inherit'],
    expiresIn: null,
  });
  return token;
}

/**
 * Routes every database access of request handling through a Kysely plugin that records each query's kind:
 * the context's database handle, token lookup, principal resolution and the activity recorder are replaced
 * by instances on the instrumented handle. The recorder is left stopped, so it writes only when flushed.
 */
export function instrument(h: TestHub) {
  const ctx = h.hub.ctx;
  const kinds: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      kinds.push(node.kind);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  const saved = { k: ctx.k, identifier: ctx.identifier, principals: ctx.principals, activity: ctx.activity };
  const k = ctx.k.withPlugin(plugin);
  ctx.k = k;
  ctx.identifier = new TokenIdentifier(k, ctx.permissions);
  ctx.principals = new PrincipalCache(k, ctx.permissions);
  ctx.activity = new ActivityRecorder(k, ctx.log, ctx.config.activity_resolution);
  return {
    kinds,
    writes: () => kinds.filter((x) => x !== 'SelectQueryNode'),
    restore() {
      Object.assign(ctx, saved);
    },
  };
}
