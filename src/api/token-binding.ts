// Token binding in the token API (docs/tokens.md "Binding"): the body keys of token creation, the PATCH
// that changes a binding, and the two keys every token model shows.
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { Database, TokenRow } from '../db/index.ts';
import type { HubServer } from '../http/server.ts';
import { callerOf } from '../commands/deps.ts';
import { findOwnToken } from '../commands/tokens/index.ts';
import { MAX_CIDRS } from '../tokens/binding.ts';
import { bindingOf, bindingsOf, UNBOUND } from '../tokens/binding-store.ts';
import { bindingFrom, bindToken } from '../tokens/binding-set.ts';
import { needUser } from './access.ts';
import { errorResponses, TokenModel } from './schemas.ts';

/** The binding keys of a token request and of the PATCH: absent leaves it, null lifts it. */
export const BindingKeys = {
  allowed_cidrs: Type.Optional(
    Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_CIDRS }), Type.Null()], {
      description:
        'tshub: the IPv4/IPv6 CIDRs the token may be used from (an address alone is one host); empty or null: anywhere',
    }),
  ),
  not_before: Type.Optional(
    Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
      description: 'tshub: ISO 8601 time before which the token is refused (token_not_yet_valid)',
    }),
  ),
};

/** The models with each token's binding: `allowed_cidrs` ([] when unbound) and `not_before` (or null). */
export async function withBindings<M extends object>(k: Kysely<Database>, rows: TokenRow[], models: M[]) {
  const bindings = await bindingsOf(
    k,
    rows.map((r) => r.id),
  );
  return models.map((m, i) => {
    const b = bindings.get(rows[i]!.id) ?? UNBOUND;
    return { ...m, allowed_cidrs: b.allowedCidrs, not_before: b.notBefore };
  });
}

const UserToken = Type.Object({ name: Type.String(), token_id: Type.String() });

export function registerTokenBindingRoutes(
  app: HubServer,
  ctx: HubContext,
  prefix: string,
  present: (user: Awaited<ReturnType<typeof needUser>>['user'], rows: TokenRow[]) => Promise<unknown[]>,
): void {
  app.patch(
    `${prefix}/users/:name/tokens/:token_id`,
    {
      schema: {
        tags: ['tokens'],
        summary: "tshub: change a token's binding (allowed_cidrs, not_before)",
        params: UserToken,
        body: Type.Object(BindingKeys, { additionalProperties: false }),
        response: { 200: TokenModel, ...errorResponses },
      },
    },
    async (req) => {
      const { user } = await needUser(ctx, req, ['tokens'], req.params.name);
      const row = await findOwnToken(ctx.k, user, req.params.token_id, false);
      const binding = bindingFrom(req.body, await bindingOf(ctx.k, row.id));
      await bindToken(ctx, callerOf(req), { tokenId: row.id, ownerName: user.name, binding });
      return (await present(user, [row]))[0];
    },
  );
}
