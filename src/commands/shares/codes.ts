import { createHash, randomBytes } from 'node:crypto';
import { noSuchServer, shareCodeInvalid } from '../../errors/index.ts';
import { isoIn, isoNow } from '../../lib/time.ts';
import { findSpawner } from '../../repo/spawners.ts';
import { findUser } from '../../repo/users.ts';
import { findShareCodeByDigest, findShareCodeById, type ShareCodeView } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { checkGrantable, shareScopes, sharedServer } from './rules.ts';

/** Upstream's bounds on a code's lifetime: a minute to a year, a day by default. */
export const CODE_EXPIRES_IN = { min: 60, max: 365 * 24 * 3600, default: 24 * 3600 } as const;

/** Codes are kept as this digest only: a stolen database yields no usable code. */
export const codeDigest = (code: string) => `sha256:${createHash('sha256').update(code).digest('hex')}`;

/** `sc_<id>`, the public id of a code (upstream's form). */
export const codeId = (id: number) => `sc_${id}`;

const codeTarget = (owner: string, server: string, id: number) => ({
  kind: 'share_code',
  name: `${codeId(id)} for ${owner}/${server}`,
  owner,
});

/**
 * POST /share-codes/{owner}/{server}: a new code granting `scopes` (access to the server) to whoever
 * accepts it before it expires. The code itself is returned once and never stored.
 */
export async function createShareCode(
  deps: CommandDeps,
  caller: Caller,
  input: { owner: string; server: string; scopes?: string[] | null; expiresIn?: number },
): Promise<{ row: ShareCodeView; code: string }> {
  const scopes = shareScopes(input.scopes, input.owner, input.server);
  await checkGrantable(deps.k, caller, input.owner, input.server);
  const { owner, spawner } = await sharedServer(deps.k, input.owner, input.server, { create: true });
  const code = randomBytes(32).toString('base64url');
  const { id } = await deps.k
    .insertInto('share_codes')
    .values({
      owner_id: owner.id,
      spawner_id: spawner.id,
      hashed: codeDigest(code),
      scopes: JSON.stringify(scopes),
      created_at: isoNow(),
      expires_at: isoIn(input.expiresIn ?? CODE_EXPIRES_IN.default),
      exchange_count: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  deps.log.info(
    { actor: caller.principal?.name ?? null, server: `${owner.name}/${spawner.name}` },
    'made a share code',
  );
  deps.audit.record({
    ...caller.origin,
    action: 'share_code.create',
    target: codeTarget(owner.name, spawner.name, id),
  });
  return { row: (await findShareCodeById(deps.k, id))!, code };
}

/**
 * DELETE /share-codes/{owner}/{server}: one code (by `code` or by `id`), or all of the server's. A code
 * that is not this server's is "not found", as upstream.
 */
export async function revokeShareCodes(
  deps: CommandDeps,
  caller: Caller,
  input: { owner: string; server: string; code?: string; id?: string },
): Promise<number> {
  const owner = await findUser(deps.k, input.owner);
  const spawner = owner ? await findSpawner(deps.k, owner.id, input.server) : undefined;
  if (!owner || !spawner) throw noSuchServer(input.owner, input.server);
  let ids: number[];
  if (input.code) {
    const row = await findShareCodeByDigest(deps.k, codeDigest(input.code));
    if (!row || row.spawner_id !== spawner.id) throw shareCodeInvalid();
    ids = [row.id];
  } else if (input.id) {
    const m = /^sc_(\d+)$/.exec(input.id);
    const row = m ? await findShareCodeById(deps.k, Number(m[1])) : undefined;
    if (!row || row.spawner_id !== spawner.id) throw shareCodeInvalid(`No code found matching id=${input.id}`);
    ids = [row.id];
  } else {
    const rows = await deps.k.selectFrom('share_codes').select('id').where('spawner_id', '=', spawner.id).execute();
    ids = rows.map((r) => r.id);
  }
  if (!ids.length) return 0;
  await deps.k.deleteFrom('share_codes').where('id', 'in', ids).execute();
  deps.log.info(
    { actor: caller.principal?.name ?? null, server: `${owner.name}/${spawner.name}`, n: ids.length },
    'revoked share codes',
  );
  for (const id of ids)
    deps.audit.record({
      ...caller.origin,
      action: 'share_code.revoke',
      target: codeTarget(owner.name, spawner.name, id),
    });
  return ids.length;
}

/** The live code `code` names, or the one refusal for unknown, expired and revoked codes alike. */
export async function liveShareCode(deps: Pick<CommandDeps, 'k'>, code: string): Promise<ShareCodeView> {
  const row = code ? await findShareCodeByDigest(deps.k, codeDigest(code)) : undefined;
  if (!row || Date.parse(row.expires_at) <= Date.now()) throw shareCodeInvalid('Share not found or expired');
  return row;
}
