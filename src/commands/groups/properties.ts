import { notFound } from '../../errors/index.ts';
import { findGroup, setGroupProperties } from '../../repo/groups.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/** PUT /groups/{name}/properties: replaced whole. Properties grant nothing, so no cache is touched. */
export async function setProperties(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; properties: Record<string, unknown> },
): Promise<void> {
  const group = await findGroup(deps.k, input.name);
  if (!group) throw notFound();
  await setGroupProperties(deps.k, group.id, input.properties);
  deps.log.info({ actor: caller.principal?.name ?? null, group: group.name }, 'set group properties');
  deps.audit.record({
    ...caller.origin,
    action: 'group.modify',
    target: { kind: 'group', name: group.name },
    reason: 'properties replaced',
  });
}
