import { userTarget } from '../../audit/index.ts';
import { noSuchSignup } from '../../errors/index.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/** An admin turns a waiting sign-up away: the request is deleted, and the name is free again. */
export async function discardSignup(deps: CommandDeps, caller: Caller, input: { name: string }): Promise<void> {
  const gone = await deps.k.deleteFrom('signup_requests').where('name', '=', input.name).executeTakeFirst();
  if (Number(gone.numDeletedRows) !== 1) throw noSuchSignup(input.name);
  deps.log.info({ actor: caller.principal?.name ?? null, user: input.name }, 'discarded sign-up');
  deps.audit.record({ ...caller.origin, action: 'user.signup_discard', target: userTarget(input.name) });
}
