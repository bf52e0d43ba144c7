// Where token bindings are kept (table token_bindings, migration 015): a row only for a bound token.
import type { Kysely, Transaction } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/index.ts';
import type { TokenBinding } from './binding.ts';

type K = Kysely<Database> | Transaction<Database>;

export const UNBOUND: TokenBinding = Object.freeze({ allowedCidrs: [], notBefore: null }) as TokenBinding;

export function isBound(b: TokenBinding): boolean {
  return b.allowedCidrs.length > 0 || b.notBefore !== null;
}

function fromRow(r: { allowed_cidrs: string; not_before: string | null }): TokenBinding {
  return { allowedCidrs: JSON.parse(r.allowed_cidrs) as string[], notBefore: r.not_before };
}

// Asked for each token the hub sees for the first time: compiled once.
const bindingById = compiledQuery((db, a: { tokenId: number }) =>
  db.selectFrom('token_bindings').select(['allowed_cidrs', 'not_before']).where('token_id', '=', a.tokenId),
);

export async function bindingOf(db: K, tokenId: number): Promise<TokenBinding> {
  const r = await bindingById.first(db, { tokenId });
  return r ? fromRow(r) : UNBOUND;
}

/** The bindings of these tokens (unbound ones are absent), for listings: one query. */
export async function bindingsOf(db: K, tokenIds: readonly number[]): Promise<Map<number, TokenBinding>> {
  const out = new Map<number, TokenBinding>();
  // A parameter list has a limit: read in slices.
  for (let i = 0; i < tokenIds.length; i += 500) {
    const rows = await db
      .selectFrom('token_bindings')
      .select(['token_id', 'allowed_cidrs', 'not_before'])
      .where('token_id', 'in', tokenIds.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.token_id, fromRow(r));
  }
  return out;
}

/** Stores the binding (an unbound one deletes the row). */
export async function setBinding(db: K, tokenId: number, b: TokenBinding): Promise<void> {
  if (!isBound(b)) {
    await db.deleteFrom('token_bindings').where('token_id', '=', tokenId).execute();
    return;
  }
  const values = { allowed_cidrs: JSON.stringify(b.allowedCidrs), not_before: b.notBefore };
  await db
    .insertInto('token_bindings')
    .values({ token_id: tokenId, ...values })
    .onConflict((oc) => oc.column('token_id').doUpdateSet(values))
    .execute();
}

/** Generated tokens still usable that carry a binding, by digest: what `tshub proxy` is told. */
export async function liveBindings(
  db: K,
  now: string,
  limit: number,
): Promise<{ hashed: string; allowed_cidrs: string; not_before: string | null }[]> {
  return db
    .selectFrom('token_bindings as b')
    .innerJoin('api_tokens as t', 't.id', 'b.token_id')
    .select(['t.hashed', 'b.allowed_cidrs', 'b.not_before'])
    .where('t.hashed', 'like', 'sha256:%')
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
    .orderBy('b.token_id')
    .limit(limit)
    .execute();
}
