import type { Kysely } from 'kysely';
import type { Database, TokenRow } from '../db/index.ts';
import { tokenTarget, type AuditSink } from '../audit/event.ts';
import { roleNamesHeld } from '../repo/roles.ts';
import { findSlowHashedByPrefix, findTokenByHash } from '../repo/tokens.ts';
import { bindingFailure, type CompiledBinding, compileBinding } from '../tokens/binding.ts';
import { bindingOf, isBound } from '../tokens/binding-store.ts';
import { digestToken, displayPrefix, isWellFormedToken, looksGenerated } from '../tokens/format.ts';
import { type Identified, judge, type PolicyContext } from '../tokens/judge.ts';
import type { TokenPolicy } from '../tokens/policy.ts';
import { slowVerify } from '../tokens/weak-hash.ts';
import type { PermissionCache, Permissions } from './permissions.ts';

/**
 * Finds the stored token a request presents. Rows are cached by digest so a busy client costs no query;
 * the cache is one of `permissions`', so a revocation applies to the very next request.
 */
export class TokenIdentifier {
  readonly #db: Kysely<Database>;
  readonly #rows: PermissionCache<string, TokenRow | undefined>;
  // Each token's binding (null: unbound), cached as long as its row: a bound token costs no query either.
  readonly #bindings: PermissionCache<number, CompiledBinding | null>;
  // Config tokens need a slow hash to verify; remember which digest verified against which row id.
  readonly #slowVerified = new Map<string, number>();
  readonly #policy: TokenPolicy | null;
  readonly #audit: AuditSink | null;
  // Only with per-role lifetimes: each owner's role names, cached as long as the token rows are.
  readonly #roles: PermissionCache<number, string[]>;

  /** `policy`: the `tokens.*` rules that bind existing tokens (tokenPolicyOf), each refusal put on `audit` once. */
  constructor(db: Kysely<Database>, permissions: Permissions, policy: TokenPolicy | null = null, audit?: AuditSink) {
    this.#db = db;
    // Rows and bindings are kept from a token's second use (see CacheOptions.admitOnSecondUse).
    this.#rows = permissions.cache({ admitOnSecondUse: true });
    this.#roles = permissions.cache();
    this.#bindings = permissions.cache({ admitOnSecondUse: true });
    this.#policy = policy;
    this.#audit = audit ?? null;
  }

  async identify(raw: string): Promise<Identified> {
    return (await this.identifyStored(raw)).verdict;
  }

  /**
   * identify(), and the stored row even when it is refused (revoked, expired): the audit log names it.
   * With `ip` (a request's client address), the token's binding is checked too (src/tokens/binding.ts).
   */
  async identifyStored(raw: string, ip?: string | null): Promise<{ verdict: Identified; row: TokenRow | null }> {
    if (looksGenerated(raw) && !isWellFormedToken(raw))
      return { verdict: { ok: false, reason: 'token_malformed' }, row: null };
    const digest = digestToken(raw);
    // A token in our format is found by its digest; one that is not found may still have been given in
    // the config file (pasted from `tshub token`), where tokens are stored with the slow hash. Unknown
    // tokens are not kept: one may be created the next moment.
    const row = await this.#rows.through(
      digest,
      async () =>
        looksGenerated(raw)
          ? ((await findTokenByHash(this.#db, digest)) ?? (await this.#findConfigToken(raw, digest)))
          : await this.#findConfigToken(raw, digest),
      (found) => found !== undefined,
    );
    if (!row) return { verdict: { ok: false, reason: 'token_unknown' }, row: null };
    let verdict = judge(row, Date.now(), await this.#policyFor(row));
    if (verdict.ok && ip !== undefined) {
      const binding = await this.#bindings.through(row.id, async () => {
        const b = await bindingOf(this.#db, row.id);
        return isBound(b) ? compileBinding(b) : null;
      });
      const refused = binding && bindingFailure(binding, ip);
      if (refused) verdict = { ok: false, reason: refused };
    }
    if (!verdict.ok && verdict.reason.startsWith('token_policy_'))
      // Once per token, not per request: a script retrying a refused token must not flood the log.
      this.#audit?.record({
        action: 'token.policy_refuse',
        target: { ...tokenTarget(row.id, null), ownerUserId: row.user_id },
        outcome: 'denied',
        reason: verdict.reason,
        once: true,
      });
    return { verdict, row };
  }

  async #policyFor(row: TokenRow): Promise<PolicyContext | null> {
    const policy = this.#policy;
    if (!policy) return null;
    if (policy.roleLifetimesMs.size === 0 || row.user_id === null || row.kind !== 'api') return { policy };
    const userId = row.user_id;
    return { policy, roles: await this.#roles.through(userId, () => roleNamesHeld(this.#db, 'user', userId)) };
  }

  async #findConfigToken(raw: string, digest: string): Promise<TokenRow | undefined> {
    if (raw.length < 8) return undefined;
    const candidates = await findSlowHashedByPrefix(this.#db, displayPrefix(raw));
    const known = this.#slowVerified.get(digest);
    const hit = candidates.find((c) => c.id === known);
    if (hit) return hit;
    // A config token revoked through the API is stored again at the next start: try live rows first, so
    // the revoked copy answers only when no live one matches.
    const ordered = [...candidates].sort(
      (a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.id - a.id,
    );
    for (const c of ordered) {
      if (await slowVerify(raw, c.hashed)) {
        this.#slowVerified.set(digest, c.id);
        return c;
      }
    }
    return undefined;
  }
}
