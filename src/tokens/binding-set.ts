// The command that binds a token (or lifts its binding): the one path the API's create and PATCH take.
import { tokenTarget } from '../audit/event.ts';
import type { Caller, CommandDeps } from '../commands/deps.ts';
import { loggedCaller } from '../commands/tokens/deps.ts';
import { invalidRequest } from '../errors/index.ts';
import { parseCidrs, type TokenBinding } from './binding.ts';
import type { TokenRow } from '../db/index.ts';
import { isBound, setBinding, UNBOUND } from './binding-store.ts';

/** A binding as requests give it: either key may be absent (unchanged) or null (lifted). */
export interface BindingInput {
  allowed_cidrs?: string[] | null;
  not_before?: string | null;
}

/** The binding `input` asks for on top of `current`, checked; a 400 names what is wrong. */
export function bindingFrom(input: BindingInput, current: TokenBinding): TokenBinding {
  let allowedCidrs = current.allowedCidrs;
  if (input.allowed_cidrs !== undefined) {
    const parsed = parseCidrs(input.allowed_cidrs ?? []);
    if (typeof parsed === 'string') throw invalidRequest(parsed);
    allowedCidrs = parsed;
  }
  let notBefore = current.notBefore;
  if (input.not_before !== undefined) {
    const t = input.not_before === null ? null : Date.parse(input.not_before);
    if (t !== null && !Number.isFinite(t))
      throw invalidRequest(`not_before: '${String(input.not_before).slice(0, 60)}' is not an ISO 8601 time`);
    notBefore = t === null ? null : new Date(t).toISOString();
  }
  return { allowedCidrs, notBefore };
}

/**
 * Stores token `tokenId`'s binding. Cached token state is dropped so the next request is judged by it,
 * and the proxy is told (its pusher sends the bound tokens with each sweep).
 */
export async function bindToken(
  deps: CommandDeps,
  caller: Caller,
  input: { tokenId: number; ownerName: string | null; binding: TokenBinding },
): Promise<void> {
  await setBinding(deps.k, input.tokenId, input.binding);
  deps.permissions.invalidate();
  deps.refusals?.tokensChanged();
  const { allowedCidrs, notBefore } = input.binding;
  const what = isBound(input.binding)
    ? `allowed_cidrs [${allowedCidrs.join(', ')}], not_before ${notBefore ?? 'none'}`
    : 'unbound';
  deps.log.info({ ...loggedCaller(caller), token: `a${input.tokenId}`, allowedCidrs, notBefore }, 'token binding set');
  deps.audit.record({
    ...caller.origin,
    action: 'token.bind',
    target: tokenTarget(input.tokenId, input.ownerName),
    reason: what,
  });
}

/**
 * Makes a token (`make`, a create command) with the binding `input` asks for. The binding is checked before
 * the token exists, so a bad CIDR leaves no unbound token behind, and stored before anyone holds the token:
 * it is only in the answer.
 */
export async function issueBound<T extends { row: TokenRow }>(
  deps: CommandDeps,
  caller: Caller,
  input: BindingInput,
  ownerName: string | null,
  make: () => Promise<T>,
): Promise<T> {
  const binding = bindingFrom(input, UNBOUND);
  const made = await make();
  if (isBound(binding)) await bindToken(deps, caller, { tokenId: made.row.id, ownerName, binding });
  return made;
}
